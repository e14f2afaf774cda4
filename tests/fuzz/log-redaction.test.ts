import { Writable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateKeyText } from '../../src/domain/api-key-text.js';
import { generateWebhookSecret } from '../../src/domain/webhook-secret.js';
import { createLogger } from '../../src/observability/logger.js';

/** Text around a secret: anything, with the characters JSON escapes and the scrubber's own words often. */
const noise = fc
  .array(
    fc.oneof(
      fc.string({ unit: 'binary', maxLength: 12 }),
      fc.constantFrom(
        '\\',
        '"',
        '\\"',
        "'",
        '\\\\',
        'Bearer ',
        'bearer\t',
        '\n',
        '\u0000',
        '\u2028',
        '}',
        'rdev_',
      ),
    ),
    { maxLength: 8 },
  )
  .map((parts) => parts.join(''));

/** A secret as it would appear in text, and what must not reach the log of it. */
const secret = fc.oneof(
  fc.constant(null).map(() => {
    const key = generateKeyText();
    return { text: key, hidden: key };
  }),
  fc.constant(null).map(() => {
    const key = generateWebhookSecret();
    return { text: key, hidden: key };
  }),
  fc.stringMatching(/^[A-Za-z0-9._~-]{16,40}$/).map((token) => ({ text: `Bearer ${token}`, hidden: token })),
);

function logLines(write: (logger: ReturnType<typeof createLogger>) => void): string[] {
  const out: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      out.push(String(chunk));
      done();
    },
  });
  write(createLogger({ level: 'debug', destination }));
  return out
    .join('')
    .split('\n')
    .filter((line) => line !== '');
}

describe('log redaction', () => {
  it('writes every line as JSON with no secret in it, whatever text surrounds the secret and wherever it is logged', () => {
    fc.assert(
      fc.property(noise, secret, noise, (before, { text, hidden }, after) => {
        const s = `${before}${text}${after}`;
        const lines = logLines((logger) => {
          logger.info(s);
          logger.info({ field: s, nested: { list: [s, { deeper: s }] }, [s]: 1 }, s);
          logger.warn({ err: new Error(s) }, 'failed');
          logger.error(new Error(s));
          logger.child({ binding: s }).debug({ again: s }, 'child %s', s);
        });
        expect(lines).toHaveLength(5);
        for (const line of lines) {
          expect(() => JSON.parse(line), line).not.toThrow();
          expect(line).not.toContain(hidden);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('keeps a line whole when a token ends in a backslash before a quote', () => {
    // The scrubber once ran over the serialised line, where this token reads `abc\\\"`: it took
    // the escaping backslash with the token and left an unescaped quote that ended the string.
    const lines = logLines((logger) => logger.info({ header: 'Bearer abc\\"def' }, 'Bearer x\\"'));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      header: 'Bearer [REDACTED]"def',
      msg: 'Bearer [REDACTED]"',
    });
  });
});
