import pino, { type Logger } from 'pino';
import { logCorrelation } from './log-context.js';

export type { Logger };

/** Key and secret shapes that must never reach a log line, whatever field they hide in. */
const SECRET_PATTERNS: RegExp[] = [
  /rdev_[0-9A-Za-z]{20,}/g,
  /whsec_[0-9A-Za-z+/=]{16,}/g,
  /(Bearer\s+)[^\s"']+/gi,
];

export function redactSecrets(text: string): string {
  let out = text;
  for (const pattern of SECRET_PATTERNS) {
    out = out.replace(pattern, (_match, prefix?: string) =>
      typeof prefix === 'string' && /^Bearer/i.test(prefix) ? `${prefix}[REDACTED]` : '[REDACTED]',
    );
  }
  return out;
}

/**
 * Fields that hold secrets wherever they appear in a logged object: key and webhook secrets,
 * credentials in headers and connection params, GraphQL variables (inputs carry command
 * environments), and command environments and stdin themselves, whose values have no recognisable
 * shape, so only their place can protect them.
 */
const SECRET_PATHS = [
  'secret',
  '*.secret',
  'secrets',
  '*.secrets',
  'key',
  '*.key',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'headers["x-api-key"]',
  '*.headers["x-api-key"]',
  'headers.cookie',
  '*.headers.cookie',
  'connectionParams',
  '*.connectionParams',
  'variables',
  '*.variables',
  'variableValues',
  '*.variableValues',
  'env',
  '*.env',
  '*.*.env',
  'stdin',
  '*.stdin',
  '*.*.stdin',
];

/**
 * JSON logs on stdout (or the given stream). Secrets are removed twice: by path for the fields
 * known to hold them, and by pattern over the whole line for anything that slipped elsewhere.
 * Every line written while a request is being served carries its `requestId`, `trace_id` and
 * `span_id` (from the active trace context), so one request's lines can be found together.
 */
export function createLogger(options: { level: string; destination?: NodeJS.WritableStream }): Logger {
  const destination = options.destination ?? process.stdout;
  const scrubbing = {
    write(line: string) {
      destination.write(redactSecrets(line));
    },
  };
  return pino(
    {
      level: options.level,
      base: { service: 'rdev' },
      timestamp: pino.stdTimeFunctions.isoTime,
      mixin: logCorrelation,
      redact: { paths: SECRET_PATHS, censor: '[REDACTED]' },
    },
    scrubbing,
  );
}
