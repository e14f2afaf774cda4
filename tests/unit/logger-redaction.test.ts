import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { logger: createLogger({ level: 'debug', destination }), text: () => lines.join('') };
}

const KEY = 'rdev_4Xq9TnB2mK7pL0sV8wYz3cD6fG1hJ5aE2bR';
const WEBHOOK_SECRET = 'whsec_MfKQ9r8GKYqXs3bLh0nV7Z5oQ2pRtU4w';
const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.payload.signature';

describe('log redaction', () => {
  it('removes secrets from the fields known to hold them, however deep', () => {
    const { logger, text } = capture();
    logger.info({ headers: { authorization: 'opaque-1', 'x-api-key': 'opaque-2', cookie: 'opaque-3' } }, 'a');
    logger.info({ req: { headers: { authorization: 'opaque-4' } } }, 'b');
    logger.info({ env: { DB_PASSWORD: 'opaque-5' }, spec: { env: { X: 'opaque-6' } } }, 'c');
    logger.info({ command: { spec: { env: { Y: 'opaque-7' }, stdin: 'opaque-8' } } }, 'd');
    logger.info(
      { variables: { input: { env: { Z: 'opaque-9' } } }, connectionParams: { token: 'opaque-10' } },
      'e',
    );
    logger.info({ secret: 'opaque-11', webhook: { secrets: ['opaque-12'] }, key: 'opaque-13' }, 'f');
    const out = text();
    for (let i = 1; i <= 13; i++) expect(out).not.toContain(`opaque-${i}"`);
    expect(out.match(/\[REDACTED\]/g)?.length).toBeGreaterThanOrEqual(13);
  });

  it('removes key, webhook secret and bearer shapes wherever they appear', () => {
    const { logger, text } = capture();
    logger.warn(`refused ${KEY} for ${WEBHOOK_SECRET}`);
    logger.error({ err: new Error(`upstream said: Authorization: Bearer ${TOKEN}`) }, 'failed');
    logger.info({ note: { nested: [`key=${KEY}`] }, url: `http://x/?t=${WEBHOOK_SECRET}` }, 'odd place');
    const out = text();
    expect(out).not.toContain(KEY);
    expect(out).not.toContain(WEBHOOK_SECRET);
    expect(out).not.toContain(TOKEN);
    expect(out).toContain('Bearer [REDACTED]');
    // Everything else stays readable.
    expect(out).toContain('upstream said');
    expect(out).toContain('odd place');
  });
});
