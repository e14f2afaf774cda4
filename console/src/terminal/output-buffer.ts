import type { OutputEvent } from '../api/types';

const RED = '\x1b[91m';
const CYAN = '\x1b[96m';
const DEFAULT_FG = '\x1b[39m';

/**
 * A command's output as terminal text, kept in seq order so a terminal opened later (the xterm
 * module loads after the page, a tab shown later) gets everything from the first line. stderr is
 * tinted red and rdev's own SYSTEM lines cyan, each SYSTEM line starting on a line of its own.
 */
export class OutputBuffer {
  private readonly chunks: string[] = [];
  private readonly plain: string[] = [];
  private sink: ((text: string) => void) | null = null;
  private atLineStart = true;

  push(event: OutputEvent): void {
    let text = event.data;
    if (event.stream === 'SYSTEM') {
      text = `${this.atLineStart ? '' : '\n'}${CYAN}${text.endsWith('\n') ? text.slice(0, -1) : text}${DEFAULT_FG}\n`;
    } else if (event.stream === 'STDERR') {
      text = `${RED}${text}${DEFAULT_FG}`;
    }
    if (event.stream !== 'SYSTEM') this.plain.push(event.data);
    if (event.data.length > 0) this.atLineStart = event.stream === 'SYSTEM' || event.data.endsWith('\n');
    this.chunks.push(text);
    this.sink?.(text);
  }

  /** Feeds everything so far to `sink`, then each new chunk; returns the detach function. */
  attach(sink: (text: string) => void): () => void {
    for (const chunk of this.chunks) sink(chunk);
    this.sink = sink;
    return () => {
      if (this.sink === sink) this.sink = null;
    };
  }

  /** stdout and stderr as the program wrote them, for saving to a file. */
  text(): string {
    return this.plain.join('');
  }
}
