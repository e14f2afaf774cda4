import { useEffect, useRef, useState } from 'preact/hooks';
import type { OutputBuffer } from './output-buffer';
import type { TerminalHandle } from './xterm-view';

/** Keys that move through the output, for people who do not use a pointer. */
const SCROLL_KEYS: Record<string, (t: TerminalHandle) => void> = {
  PageUp: (t) => t.scrollPages(-1),
  PageDown: (t) => t.scrollPages(1),
  Home: (t) => t.scrollToTop(),
  End: (t) => t.scrollToBottom(),
  ArrowUp: (t) => t.scrollLines(-1),
  ArrowDown: (t) => t.scrollLines(1),
};

/**
 * The terminal that shows a command's output. xterm.js is loaded on first use, so pages without
 * output do not download it.
 */
export function OutputTerminal({
  buffer,
  label,
  visible = true,
}: {
  buffer: OutputBuffer;
  label: string;
  visible?: boolean;
}) {
  const container = useRef<HTMLElement>(null);
  const handle = useRef<TerminalHandle | null>(null);
  const [failed, setFailed] = useState<string | null>(null);

  useEffect(() => {
    let disposed = false;
    let cleanup = () => {};
    import('./xterm-view').then(
      ({ openTerminal }) => {
        if (disposed || !container.current) return;
        const term = openTerminal(container.current);
        handle.current = term;
        const detach = buffer.attach((text) => term.write(text));
        cleanup = () => {
          detach();
          term.dispose();
          handle.current = null;
        };
      },
      (error: Error) => setFailed(error.message),
    );
    return () => {
      disposed = true;
      cleanup();
    };
  }, [buffer]);

  useEffect(() => {
    if (visible) handle.current?.fit();
  }, [visible]);

  const onKeyDown = (e: KeyboardEvent) => {
    const action = SCROLL_KEYS[e.key];
    if (!action || !handle.current || e.altKey || e.metaKey) return;
    e.preventDefault();
    e.stopPropagation();
    action(handle.current);
  };

  return (
    <div class="terminal-frame" hidden={!visible}>
      {failed && (
        <p class="note note-error" role="alert">
          The terminal could not be loaded: {failed}
        </p>
      )}
      <section
        ref={container}
        class="terminal"
        aria-label={label}
        aria-describedby="terminal-keys"
        // biome-ignore lint/a11y/noNoninteractiveTabindex: the output scrolls with the keyboard, so it takes focus
        tabIndex={0}
        data-testid="terminal"
        onKeyDownCapture={onKeyDown}
      />
      <p id="terminal-keys" class="terminal-keys">
        Page Up, Page Down, Home and End scroll the output.
      </p>
    </div>
  );
}
