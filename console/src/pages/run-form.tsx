import { useState } from 'preact/hooks';
import type { RunInput } from '../api/api';
import type { CommandType, Project, ResultError } from '../api/types';
import { ErrorNote } from '../components/error-note';
import { href, navigate } from '../router';
import { runnableTypes, useSession } from '../session-context';
import { parseEnv, splitWords } from './split-words';

const TYPE_LABEL: Record<CommandType, string> = { SHELL: 'Shell', GIT: 'Git', CLAUDE: 'Claude' };

interface Props {
  /** Null when the key cannot list projects: the name is typed instead. */
  projects: Project[] | null;
  initialProject: string;
  initialType: string | null;
}

export function RunForm({ projects, initialProject, initialType }: Props) {
  const session = useSession();
  const types = runnableTypes(session);
  const usable = projects?.filter((p) => p.allowedCommandTypes.some((t) => types.includes(t))) ?? null;
  const [projectName, setProjectName] = useState(
    usable?.some((p) => p.name === initialProject) || !usable ? initialProject : (usable[0]?.name ?? ''),
  );
  const project = usable?.find((p) => p.name === projectName);
  const offered = project ? types.filter((t) => project.allowedCommandTypes.includes(t)) : types;
  const [chosen, setChosen] = useState<CommandType>(
    (types as string[]).includes(initialType ?? '') ? (initialType as CommandType) : types[0]!,
  );
  const type = offered.includes(chosen) ? chosen : offered[0];

  const [shellMode, setShellMode] = useState<'argv' | 'script'>('argv');
  const [argvText, setArgvText] = useState('');
  const [script, setScript] = useState('');
  const [envText, setEnvText] = useState('');
  const [cwd, setCwd] = useState('');
  const [gitText, setGitText] = useState('status');
  const [prompt, setPrompt] = useState('');
  const [model, setModel] = useState('');
  const [maxTurns, setMaxTurns] = useState('');
  const [tools, setTools] = useState('');
  const [resume, setResume] = useState('');
  const [priority, setPriority] = useState('50');
  const [timeout, setTimeoutText] = useState('');
  const [error, setError] = useState<ResultError | null>(null);
  const [busy, setBusy] = useState(false);

  if (usable && usable.length === 0) {
    return <p>No project visible to this key allows a command type the key may run.</p>;
  }

  const argv = splitWords(argvText);
  const gitArgs = splitWords(gitText);
  const env = parseEnv(envText);

  const build = (): RunInput | string => {
    const common = {
      projectName: projectName.trim(),
      priority: Number(priority),
      ...(timeout.trim() ? { timeoutSeconds: Number(timeout) } : {}),
    };
    if (!common.projectName) return 'Choose a project.';
    if (type === 'SHELL') {
      if (env.error) return env.error;
      const extra = {
        ...(Object.keys(env.env).length > 0 ? { env: env.env } : {}),
        ...(cwd.trim() ? { cwd: cwd.trim() } : {}),
      };
      if (shellMode === 'script') {
        if (!script.trim()) return 'Write the script to run.';
        return { type, ...common, ...extra, script };
      }
      if (argv.error) return argv.error;
      if (argv.words.length === 0) return 'Write the program to run and its arguments.';
      return { type, ...common, ...extra, argv: argv.words };
    }
    if (type === 'GIT') {
      if (gitArgs.error) return gitArgs.error;
      if (gitArgs.words.length === 0) return 'Write the git subcommand and its arguments.';
      return { type, ...common, args: gitArgs.words };
    }
    if (!prompt.trim()) return 'Write the prompt.';
    return {
      type: 'CLAUDE',
      ...common,
      prompt,
      ...(model.trim() ? { model: model.trim() } : {}),
      ...(maxTurns.trim() ? { maxTurns: Number(maxTurns) } : {}),
      ...(tools.trim()
        ? {
            allowedTools: tools
              .split(',')
              .map((t) => t.trim())
              .filter(Boolean),
          }
        : {}),
      ...(resume.trim() ? { resumeSessionId: resume.trim() } : {}),
    };
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    const input = build();
    if (typeof input === 'string') {
      setError({ code: 'VALIDATION_FAILED', message: input });
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const result = await session.api.run(input);
      if (result.ok) navigate(href(`/commands/${encodeURIComponent(result.value.id)}`));
      else setError(result.error);
    } catch (caught) {
      setError({ code: (caught as { code?: string }).code ?? 'ERROR', message: (caught as Error).message });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="card form" onSubmit={submit} aria-label="Run a command">
      <div class="field">
        <label for="run-project">Project</label>
        {usable ? (
          <select
            id="run-project"
            value={projectName}
            onChange={(e) => setProjectName(e.currentTarget.value)}
          >
            {usable.map((p) => (
              <option key={p.id} value={p.name}>
                {p.name} ({p.status.toLowerCase()})
              </option>
            ))}
          </select>
        ) : (
          <input
            id="run-project"
            required
            value={projectName}
            onInput={(e) => setProjectName(e.currentTarget.value)}
          />
        )}
      </div>

      <fieldset class="field">
        <legend>Type</legend>
        <div class="segmented">
          {offered.map((t) => (
            <label key={t}>
              <input
                type="radio"
                name="run-type"
                value={t}
                checked={type === t}
                onChange={() => setChosen(t)}
              />
              {TYPE_LABEL[t]}
            </label>
          ))}
        </div>
      </fieldset>

      {type === 'SHELL' && (
        <>
          <fieldset class="field">
            <legend>Shell command</legend>
            <div class="segmented">
              <label>
                <input
                  type="radio"
                  name="shell-mode"
                  checked={shellMode === 'argv'}
                  onChange={() => setShellMode('argv')}
                />
                A program
              </label>
              <label>
                <input
                  type="radio"
                  name="shell-mode"
                  checked={shellMode === 'script'}
                  onChange={() => setShellMode('script')}
                />
                A script (sh -c)
              </label>
            </div>
          </fieldset>
          {shellMode === 'argv' ? (
            <div class="field">
              <label for="run-argv">Program and arguments</label>
              <input
                id="run-argv"
                class="mono"
                spellcheck={false}
                autoComplete="off"
                placeholder="ls -la"
                value={argvText}
                onInput={(e) => setArgvText(e.currentTarget.value)}
                aria-describedby="run-argv-help"
              />
              <p id="run-argv-help" class="hint">
                Split into words with quotes as in a shell, then run without one:{' '}
                {argv.words.length > 0 ? (
                  <span class="argv-preview">
                    {argv.words.map((w, i) => (
                      <code key={i}>{w}</code>
                    ))}
                  </span>
                ) : (
                  'no words yet'
                )}
              </p>
            </div>
          ) : (
            <div class="field">
              <label for="run-script">Script</label>
              <textarea
                id="run-script"
                class="mono"
                rows={5}
                spellcheck={false}
                value={script}
                onInput={(e) => setScript(e.currentTarget.value)}
              />
            </div>
          )}
          <div class="field-row">
            <div class="field">
              <label for="run-env">Environment</label>
              <textarea
                id="run-env"
                class="mono"
                rows={3}
                spellcheck={false}
                placeholder="NAME=value"
                value={envText}
                onInput={(e) => setEnvText(e.currentTarget.value)}
                aria-describedby="run-env-help"
              />
              <p id="run-env-help" class="hint">
                One NAME=value a line. Values are not shown again.
              </p>
            </div>
            <div class="field">
              <label for="run-cwd">Working folder</label>
              <input
                id="run-cwd"
                class="mono"
                placeholder="."
                value={cwd}
                onInput={(e) => setCwd(e.currentTarget.value)}
                aria-describedby="run-cwd-help"
              />
              <p id="run-cwd-help" class="hint">
                Relative to the workspace.
              </p>
            </div>
          </div>
        </>
      )}

      {type === 'GIT' && (
        <div class="field">
          <label for="run-git">git arguments</label>
          <input
            id="run-git"
            class="mono"
            spellcheck={false}
            value={gitText}
            onInput={(e) => setGitText(e.currentTarget.value)}
            aria-describedby="run-git-help"
          />
          <p id="run-git-help" class="hint">
            After <code>git</code>: an allowed subcommand and its options, e.g. <code>log --oneline -5</code>.
          </p>
        </div>
      )}

      {type === 'CLAUDE' && (
        <>
          <div class="field">
            <label for="run-prompt">Prompt</label>
            <textarea
              id="run-prompt"
              rows={5}
              value={prompt}
              onInput={(e) => setPrompt(e.currentTarget.value)}
            />
          </div>
          <div class="field-row">
            <div class="field">
              <label for="run-model">Model</label>
              <input
                id="run-model"
                placeholder="default"
                value={model}
                onInput={(e) => setModel(e.currentTarget.value)}
              />
            </div>
            <div class="field">
              <label for="run-turns">Maximum turns</label>
              <input
                id="run-turns"
                type="number"
                min={1}
                value={maxTurns}
                onInput={(e) => setMaxTurns(e.currentTarget.value)}
              />
            </div>
          </div>
          <div class="field-row">
            <div class="field">
              <label for="run-tools">Allowed tools</label>
              <input
                id="run-tools"
                class="mono"
                placeholder="Read, Bash(git *)"
                value={tools}
                onInput={(e) => setTools(e.currentTarget.value)}
              />
            </div>
            <div class="field">
              <label for="run-resume">Resume session</label>
              <input
                id="run-resume"
                class="mono"
                placeholder="session id"
                value={resume}
                onInput={(e) => setResume(e.currentTarget.value)}
              />
            </div>
          </div>
        </>
      )}

      <div class="field-row">
        <div class="field">
          <label for="run-priority">Priority</label>
          <input
            id="run-priority"
            type="number"
            min={0}
            max={100}
            value={priority}
            onInput={(e) => setPriority(e.currentTarget.value)}
            aria-describedby="run-priority-help"
          />
          <p id="run-priority-help" class="hint">
            0–100; higher runs first.
          </p>
        </div>
        <div class="field">
          <label for="run-timeout">Timeout (seconds)</label>
          <input
            id="run-timeout"
            type="number"
            min={1}
            placeholder="server default"
            value={timeout}
            onInput={(e) => setTimeoutText(e.currentTarget.value)}
          />
        </div>
      </div>

      <ErrorNote error={error} />
      <button type="submit" class="button button-primary" disabled={busy || !type}>
        {busy ? 'Starting…' : 'Run'}
      </button>
    </form>
  );
}
