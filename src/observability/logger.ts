import pino, { type Logger } from 'pino';
import { logCorrelation } from './log-context.js';

export type { Logger };

/** Key and secret shapes that must never reach a log line, whatever field they hide in. */
const SECRET_PATTERNS: RegExp[] = [
  /rdev_[0-9A-Za-z]{20,}/g,
  /whsec_[0-9A-Za-z+/=]{16,}/g,
  // Whatever follows each `Bearer ` (a lookbehind, so in `Bearer x Bearer <token>` the first match
  // cannot swallow the second `Bearer` and leave its token).
  /(?<=Bearer\s+)[^\s"']+/gi,
];

export function redactSecrets(text: string): string {
  let out = text;
  for (const pattern of SECRET_PATTERNS) out = out.replace(pattern, '[REDACTED]');
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

/** Containers are followed this deep; anything deeper is logged as a marker, not its contents. */
const MAX_DEPTH = 12;

/**
 * A copy of a logged value with every string scrubbed of secret shapes, errors turned into plain
 * objects (message, stack, cause and their own fields, as pino's error serializer writes them),
 * and cycles cut. Runs on the structured value before it is serialised: a pattern applied to the
 * serialised line would see JSON escapes (`\"`) and could swallow half of one, ending the string
 * early and breaking the line.
 */
export function scrubValue(value: unknown, seen: WeakSet<object> = new WeakSet(), depth = 0): unknown {
  if (typeof value === 'string') return redactSecrets(value);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[Circular]';
  if (depth >= MAX_DEPTH) return '[Too deep]';
  if (value instanceof Date) return value;
  if (ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
  seen.add(value);
  try {
    if (value instanceof Error) return scrubValue(pino.stdSerializers.err(value), seen, depth + 1);
    if (Array.isArray(value)) return value.map((v) => scrubValue(v, seen, depth + 1));
    if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
      return scrubValue((value as { toJSON(): unknown }).toJSON(), seen, depth + 1);
    }
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value))
      out[redactSecrets(key)] = scrubValue(inner, seen, depth + 1);
    return out;
  } finally {
    seen.delete(value);
  }
}

/**
 * JSON logs on stdout (or the given stream). Secrets are removed twice, both before a line is
 * serialised: by path for the fields known to hold them, and by pattern from every string of
 * every field, the message and a child logger's bindings included, for anything that slipped
 * elsewhere. Every line written while a request is being served carries its `requestId`,
 * `trace_id` and `span_id` (from the active trace context), so one request's lines can be found
 * together.
 */
export function createLogger(options: { level: string; destination?: NodeJS.WritableStream }): Logger {
  const logger = pino(
    {
      level: options.level,
      base: { service: 'rdev' },
      timestamp: pino.stdTimeFunctions.isoTime,
      mixin: logCorrelation,
      redact: { paths: SECRET_PATHS, censor: '[REDACTED]' },
      formatters: {
        log: (object) => scrubValue(object) as Record<string, unknown>,
        bindings: (bindings) => scrubValue(bindings) as Record<string, unknown>,
      },
      // Errors were made plain objects by the log formatter; pino's own error serializer would
      // take them for errors again and call them `Object`.
      serializers: { msg: (message: unknown) => scrubValue(message), err: (error: unknown) => error },
    },
    options.destination ?? process.stdout,
  );
  // pino formats a child's bindings without the bindings formatter, once, when the child is
  // made: they are scrubbed here instead. Children inherit this method from the root logger.
  const makeChild = logger.child;
  logger.child = function child(this: Logger, bindings, childOptions) {
    return makeChild.call(this, scrubValue(bindings) as typeof bindings, childOptions);
  } as typeof logger.child;
  return logger;
}
