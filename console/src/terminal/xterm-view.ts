import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';

/** More than the 100,000 lines the console is measured with; older lines scroll out of the view. */
export const SCROLLBACK_LINES = 150_000;
const MAX_COLUMNS = 120;

export interface TerminalHandle {
  write(text: string): void;
  /** Scrolls by whole views (negative: up). */
  scrollPages(pages: number): void;
  scrollLines(lines: number): void;
  scrollToTop(): void;
  scrollToBottom(): void;
  fit(): void;
  dispose(): void;
}

/**
 * xterm.js with its DOM renderer and screen-reader mode: colours, cursor movement and carriage
 * returns as a terminal draws them, and the visible rows as text an assistive technology (and a
 * test) can read. Output only: stdin is off and the cursor hidden.
 */
export function openTerminal(container: HTMLElement): TerminalHandle {
  const term = new Terminal({
    convertEol: true,
    disableStdin: true,
    screenReaderMode: true,
    scrollback: SCROLLBACK_LINES,
    fontFamily: 'ui-monospace, "DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas, monospace',
    fontSize: 13,
    lineHeight: 1.25,
    cursorInactiveStyle: 'none',
    theme: {
      background: '#0d1117',
      foreground: '#e6edf3',
      red: '#ff7b72',
      brightRed: '#ffa198',
      green: '#3fb950',
      yellow: '#d29922',
      blue: '#79c0ff',
      cyan: '#76e3ea',
      brightCyan: '#b3f0ff',
      selectionBackground: '#264f78',
    },
  });
  const fitAddon = new FitAddon();
  term.loadAddon(fitAddon);
  term.open(container);
  term.write('\x1b[?25l');
  // xterm keeps 12 bytes per cell of every line it holds: 120 columns keep 100,000 lines within
  // about 140 MB. Wider output wraps.
  const fitToContainer = () => {
    if (container.clientWidth === 0 || container.clientHeight === 0) return;
    const size = fitAddon.proposeDimensions();
    if (size && Number.isFinite(size.cols) && Number.isFinite(size.rows))
      term.resize(Math.max(20, Math.min(MAX_COLUMNS, size.cols)), Math.max(2, size.rows));
  };
  fitToContainer();
  const observer = new ResizeObserver(fitToContainer);
  observer.observe(container);
  return {
    write: (text) => term.write(text),
    scrollPages: (pages) => term.scrollPages(pages),
    scrollLines: (lines) => term.scrollLines(lines),
    scrollToTop: () => term.scrollToTop(),
    scrollToBottom: () => term.scrollToBottom(),
    fit: fitToContainer,
    dispose: () => {
      observer.disconnect();
      term.dispose();
    },
  };
}
