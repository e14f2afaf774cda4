import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { Command, CommandEnd, ResultError } from '../api/types';
import { ClaudeConversation } from '../claude/claude-conversation';
import { Conversation } from '../claude/conversation';
import { ErrorNote } from '../components/error-note';
import { StatusBadge } from '../components/status-badge';
import { TimeText } from '../components/time-text';
import { RunChanges } from '../files/run-changes';
import { commandTitle, elapsed, formatUsd } from '../format';
import { href, Link } from '../router';
import { useSession } from '../session-context';
import { SessionControls } from '../sessions/session-controls';
import { OutputBuffer } from '../terminal/output-buffer';
import { OutputTerminal } from '../terminal/output-terminal';
import { useLoad } from '../use-load';
import { useTitle } from '../use-title';

const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT', 'LOST']);

type Following = 'following' | 'ended' | 'failed';

/**
 * One command: its facts kept current by `commandUpdated`, and its output replayed from the first
 * event and followed live — across dropped connections, from the last seq shown — to the end.
 */
export function CommandPage({ id }: { id: string }) {
  const { api } = useSession();
  const loaded = useLoad(() => api.command(id), [api, id]);
  const command = loaded.data;
  useTitle(command ? commandTitle(command) : 'Command');

  if (loaded.error) {
    return (
      <section class="page">
        <h1>Command</h1>
        <ErrorNote error={loaded.error} />
      </section>
    );
  }
  if (command === undefined)
    return (
      <p class="page" aria-busy="true">
        Loading the command…
      </p>
    );
  if (command === null) {
    return (
      <section class="page">
        <h1>Command not found</h1>
        <p>
          There is no command <code>{id}</code> that this key may see.{' '}
          <Link to={href('/commands')}>See the history</Link>.
        </p>
      </section>
    );
  }
  return <CommandView key={id} initial={command} onChange={(c) => loaded.set(() => c)} />;
}

function CommandView({ initial: command, onChange }: { initial: Command; onChange(c: Command): void }) {
  const { api, can } = useSession();
  const buffer = useMemo(() => new OutputBuffer(), []);
  const conversation = useMemo(() => new Conversation(), []);
  const [, setVersion] = useState(0);
  const [following, setFollowing] = useState<Following>('following');
  const [followError, setFollowError] = useState<ResultError | null>(null);
  const [cancelError, setCancelError] = useState<ResultError | null>(null);
  const [cancelling, setCancelling] = useState(false);
  const [tab, setTab] = useState<'conversation' | 'terminal'>(
    command.type === 'CLAUDE' ? 'conversation' : 'terminal',
  );
  const [now, setNow] = useState(Date.now());
  const latest = useRef(command);
  latest.current = command;
  const isClaude = command.type === 'CLAUDE';
  const done = TERMINAL.has(command.status);

  // Output: replay from the start, then live; re-render the conversation at most once a frame.
  useEffect(() => {
    const abort = new AbortController();
    let frame = 0;
    void api
      .follow(
        command.id,
        {
          after: 0,
          onEvent: (event) => {
            buffer.push(event);
            if (isClaude) {
              conversation.add(event);
              if (!frame) {
                frame = requestAnimationFrame(() => {
                  frame = 0;
                  setVersion((v) => v + 1);
                });
              }
            }
          },
          onFailed: (error) => setFollowError(error),
        },
        abort.signal,
      )
      .then((end) => {
        if (abort.signal.aborted) return;
        setFollowing(end ? 'ended' : 'failed');
        if (!end) return;
        onChange(withEnd(latest.current, end));
        // The end event carries the status; times and Claude's totals come with the command.
        api.command(command.id).then(
          (c) => c && onChange(c),
          () => {},
        );
      });
    return () => {
      abort.abort();
      cancelAnimationFrame(frame);
    };
  }, [api, command.id]);

  // Status, queue position and times.
  useEffect(() => api.commandUpdates(command.id, onChange), [api, command.id]);
  useEffect(() => {
    if (done) return;
    const tick = setInterval(() => setNow(Date.now()), 1000);
    // The queue moves without this command changing: re-read its position now and then.
    const poll =
      command.status === 'QUEUED'
        ? setInterval(
            () =>
              api.command(command.id).then(
                (c) => c && onChange(c),
                () => {},
              ),
            3000,
          )
        : undefined;
    return () => {
      clearInterval(tick);
      clearInterval(poll);
    };
  }, [api, command.id, command.status, done]);

  const cancel = async () => {
    setCancelling(true);
    setCancelError(null);
    try {
      const result = await api.cancel(command.id);
      if (result.ok) onChange(result.value);
      else setCancelError(result.error);
    } catch (e) {
      setCancelError({ code: (e as { code?: string }).code ?? 'ERROR', message: (e as Error).message });
    } finally {
      setCancelling(false);
    }
  };

  const download = () => {
    const url = URL.createObjectURL(new Blob([buffer.text()], { type: 'text/plain;charset=utf-8' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `rdev-${command.id.replace(/[^A-Za-z0-9_-]/g, '')}.log`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  };

  const session = command.claudeSession;
  return (
    <section class="page command-page" aria-labelledby="command-title">
      <p class="crumbs">
        <Link to={href('/commands', { project: command.projectName })}>History</Link> ›{' '}
        <Link to={href(`/projects/${encodeURIComponent(command.projectName)}`)}>{command.projectName}</Link>
      </p>
      <div class="page-head">
        <h1 id="command-title" class="command-title">
          {commandTitle(command)}
        </h1>
        <span role="status" aria-label={`Status: ${command.status.toLowerCase().replace('_', ' ')}`}>
          <StatusBadge status={command.status} />
        </span>
      </div>

      <dl class="facts facts-grid" aria-label="Command facts">
        <div>
          <dt>Type</dt>
          <dd>{command.type.toLowerCase()}</dd>
        </div>
        <div>
          <dt>Exit code</dt>
          <dd data-testid="exit-code">
            {command.exitCode ?? (command.signal ? `signal ${command.signal}` : '—')}
          </dd>
        </div>
        <div>
          <dt>Duration</dt>
          <dd>{elapsed(command.startedAt, command.finishedAt, now)}</dd>
        </div>
        {command.status === 'QUEUED' && (
          <div>
            <dt>Queue position</dt>
            <dd data-testid="queue-position">{command.queuePosition ?? '—'}</dd>
          </div>
        )}
        <div>
          <dt>Priority</dt>
          <dd>{command.priority}</dd>
        </div>
        <div>
          <dt>Started</dt>
          <dd>
            <TimeText iso={command.startedAt ?? command.createdAt} />
          </dd>
        </div>
        <div>
          <dt>By</dt>
          <dd>{command.requestedBy ? command.requestedBy.name : '—'}</dd>
        </div>
        {command.cwd && (
          <div>
            <dt>Folder</dt>
            <dd>
              <code>{command.cwd}</code>
            </dd>
          </div>
        )}
        {command.envNames.length > 0 && (
          <div>
            <dt>Environment</dt>
            <dd>{command.envNames.join(', ')}</dd>
          </div>
        )}
        {session && (
          <div>
            <dt>Claude</dt>
            <dd>
              {formatUsd(session.costUsd)}
              {session.numTurns != null && ` · ${session.numTurns} turns`}
              {session.model && ` · ${session.model}`}
            </dd>
          </div>
        )}
      </dl>
      {command.error && <p class="note note-error">{command.error}</p>}
      {command.type !== 'CLAUDE' && (
        <p class="argv">
          <span class="visually-hidden">Arguments: </span>
          {command.argv.map((a, i) => (
            <code key={i}>{a}</code>
          ))}
        </p>
      )}

      <div class="actions">
        {!done && can('COMMANDS_CANCEL') && (
          <button type="button" class="button button-danger" disabled={cancelling} onClick={cancel}>
            {cancelling ? 'Cancelling…' : 'Cancel command'}
          </button>
        )}
        <button type="button" class="button" onClick={download}>
          Save output
        </button>
        <span class="follow-state" role="status" data-testid="follow-state">
          {following === 'following'
            ? done
              ? 'Reading output…'
              : 'Following live output…'
            : following === 'ended'
              ? 'Output complete.'
              : ''}
        </span>
      </div>
      <ErrorNote error={cancelError} />
      <ErrorNote error={followError} />
      {command.outputTruncated && (
        <p class="note note-warn">The output reached the server's limit; later output was not stored.</p>
      )}

      <SessionControls command={command} />

      {isClaude && (
        <div class="tabs" role="tablist" aria-label="Output view">
          {(['conversation', 'terminal'] as const).map((t) => (
            <button
              key={t}
              type="button"
              role="tab"
              id={`tab-${t}`}
              aria-selected={tab === t}
              aria-controls={`panel-${t}`}
              tabIndex={tab === t ? 0 : -1}
              onClick={() => setTab(t)}
              onKeyDown={(e) => {
                if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
                  const next = t === 'conversation' ? 'terminal' : 'conversation';
                  setTab(next);
                  document.getElementById(`tab-${next}`)?.focus();
                }
              }}
            >
              {t === 'conversation' ? 'Conversation' : 'Raw output'}
            </button>
          ))}
        </div>
      )}
      {isClaude && (
        <div
          id="panel-conversation"
          role="tabpanel"
          aria-labelledby="tab-conversation"
          hidden={tab !== 'conversation'}
        >
          <ClaudeConversation conversation={conversation} prompt={command.prompt} />
        </div>
      )}
      {isClaude ? (
        <div id="panel-terminal" role="tabpanel" aria-labelledby="tab-terminal" hidden={tab !== 'terminal'}>
          <OutputTerminal buffer={buffer} label="Command output" visible={tab === 'terminal'} />
        </div>
      ) : (
        <OutputTerminal buffer={buffer} label="Command output" />
      )}

      <RunChanges command={command} />
    </section>
  );
}

function withEnd(command: Command, end: CommandEnd): Command {
  return {
    ...command,
    status: end.status,
    exitCode: end.exitCode,
    signal: end.signal,
    error: end.error ?? command.error,
  };
}
