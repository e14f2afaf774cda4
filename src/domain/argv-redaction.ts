/**
 * What an audit row or a log line may show of a command line: arguments that look like secrets
 * are replaced by `[REDACTED]`. The command itself still receives them unchanged.
 */
const SECRET_NAME = /(pass(word|wd)?|secret|token|api[-_]?key|auth|credential|private[-_]?key)/i;
const SECRET_VALUE = [
  /\brdev_[0-9A-Za-z]{20,}/,
  /\bwhsec_[0-9A-Za-z+/=]{16,}/,
  /\bsk-[A-Za-z0-9_-]{20,}/,
  /\bgh[pousr]_[A-Za-z0-9]{20,}/,
  /\bAKIA[0-9A-Z]{16}\b/,
  /\/\/[^/\s:@]+:[^/\s@]+@/, // credentials in a URL
];

export function redactArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  let redactNext = false;
  for (const arg of argv) {
    if (redactNext) {
      out.push('[REDACTED]');
      redactNext = false;
      continue;
    }
    const eq = arg.indexOf('=');
    if (eq > 0 && SECRET_NAME.test(arg.slice(0, eq))) {
      out.push(`${arg.slice(0, eq + 1)}[REDACTED]`);
    } else if (SECRET_VALUE.some((p) => p.test(arg))) {
      out.push('[REDACTED]');
    } else {
      out.push(arg);
      // `--password value`, `-p value`-style flags naming a secret.
      redactNext = arg.startsWith('-') && eq < 0 && SECRET_NAME.test(arg);
    }
  }
  return out;
}
