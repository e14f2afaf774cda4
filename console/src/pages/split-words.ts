/**
 * Splits a line into words the way a POSIX shell would for quoting only: whitespace separates,
 * '…' keeps everything literal, "…" and a backslash escape the next character. No expansion of
 * any kind: the words go to the API as an argv array and never meet a shell.
 */
export function splitWords(line: string): { words: string[]; error: string | null } {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    const next = line[i + 1];
    if (quote === "'") {
      if (c === "'") quote = null;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === '\\' && next !== undefined && '"\\$`'.includes(next)) word += line[++i];
      else word += c;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      inWord = true;
      if (c === "'" || c === '"') quote = c;
      else if (c === '\\' && next !== undefined) word += line[++i];
      else word += c;
    }
  }
  if (quote) return { words, error: `A ${quote === "'" ? 'single' : 'double'} quote is not closed.` };
  if (inWord) words.push(word);
  return { words, error: null };
}

/** `NAME=value` lines into an object; blank lines and `#` comments are skipped. */
export function parseEnv(text: string): { env: Record<string, string>; error: string | null } {
  const env: Record<string, string> = {};
  for (const [n, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) return { env, error: `Line ${n + 1}: write NAME=value.` };
    env[line.slice(0, eq).trim()] = line.slice(eq + 1);
  }
  return { env, error: null };
}
