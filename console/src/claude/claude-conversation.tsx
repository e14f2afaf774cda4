import { formatDuration, formatUsd } from '../format';
import { type Conversation, type Entry, type Tokens, toolSummary } from './conversation';

function TokenLine({ tokens }: { tokens: Tokens | null }) {
  if (!tokens) return null;
  return (
    <span class="tokens">
      {tokens.input.toLocaleString()} in · {tokens.output.toLocaleString()} out
      {tokens.cacheRead + tokens.cacheWrite > 0 &&
        ` · cache ${tokens.cacheRead.toLocaleString()} read, ${tokens.cacheWrite.toLocaleString()} written`}{' '}
      tokens
    </span>
  );
}

function EntryView({ entry }: { entry: Entry }) {
  switch (entry.kind) {
    case 'init':
      return (
        <li class="turn turn-system">
          Session started{entry.model ? ` with ${entry.model}` : ''} · {entry.tools} tools
        </li>
      );
    case 'user':
      return (
        <li class="turn turn-user">
          <p class="speaker">You</p>
          <p class="turn-text">{entry.text}</p>
        </li>
      );
    case 'text':
      return (
        <li class="turn turn-assistant">
          <p class="speaker">Claude</p>
          <p class="turn-text">{entry.text}</p>
          <TokenLine tokens={entry.tokens} />
        </li>
      );
    case 'thinking':
      return (
        <li class="turn turn-fold">
          <details>
            <summary>Thinking</summary>
            <p class="turn-text">{entry.text}</p>
          </details>
        </li>
      );
    case 'tool':
      return (
        <li class="turn turn-fold">
          <details>
            <summary>
              <span class="tool-name">{entry.name}</span> <code>{toolSummary(entry.input)}</code>{' '}
              <span class={entry.result?.isError ? 'tool-state tool-error' : 'tool-state'}>
                {entry.result ? (entry.result.isError ? 'error' : 'done') : 'running'}
              </span>
            </summary>
            <p class="fold-label">Input</p>
            <pre class="fold-body">{JSON.stringify(entry.input, null, 2)}</pre>
            {entry.result && (
              <>
                <p class="fold-label">Result</p>
                <pre class="fold-body">{entry.result.text}</pre>
              </>
            )}
          </details>
        </li>
      );
    case 'result':
      return (
        <li class={`turn turn-result${entry.isError ? ' turn-result-error' : ''}`}>
          <p>
            <strong>{entry.isError ? 'Turn ended with an error' : 'Turn finished'}</strong>
            {entry.subtype && entry.subtype !== 'success' ? ` (${entry.subtype.replace(/_/g, ' ')})` : ''}
          </p>
          <p class="result-facts">
            Cost {formatUsd(entry.costUsd)}
            {entry.durationMs != null && ` · ${formatDuration(entry.durationMs)}`}
            {entry.numTurns != null && ` · ${entry.numTurns} ${entry.numTurns === 1 ? 'turn' : 'turns'}`} ·{' '}
            <TokenLine tokens={entry.tokens} />
          </p>
        </li>
      );
    case 'note':
      return <li class={`turn turn-note turn-note-${entry.stream.toLowerCase()}`}>{entry.text}</li>;
  }
}

/** A Claude run read as a conversation; tool calls and thinking are folded. */
export function ClaudeConversation({
  conversation,
  prompt,
}: {
  conversation: Conversation;
  prompt: string | null;
}) {
  return (
    <ol class="conversation" aria-label="Conversation">
      {prompt && (
        <li class="turn turn-user">
          <p class="speaker">You</p>
          <p class="turn-text">{prompt}</p>
        </li>
      )}
      {conversation.entries.map((e, i) => (
        <EntryView key={`${e.seq}-${i}`} entry={e} />
      ))}
    </ol>
  );
}
