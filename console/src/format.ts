/** Dates and durations as people read them, in the browser's locale and time zone. */

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

export function formatTime(iso: string | null | undefined): string {
  return iso ? dateTime.format(new Date(iso)) : '—';
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** From start to end, or to now while it runs. */
export function elapsed(start: string | null, end: string | null, now: number): string {
  if (!start) return '—';
  return formatDuration((end ? Date.parse(end) : now) - Date.parse(start));
}

export function commandTitle(c: { type: string; argv: string[]; prompt: string | null }): string {
  if (c.type === 'CLAUDE' && c.prompt) return c.prompt.length > 80 ? `${c.prompt.slice(0, 79)}…` : c.prompt;
  const text = c.argv.join(' ');
  return text.length > 100 ? `${text.slice(0, 99)}…` : text;
}

export function formatUsd(value: number | null | undefined): string {
  return value == null ? '—' : `$${value.toFixed(value < 1 ? 4 : 2)}`;
}
