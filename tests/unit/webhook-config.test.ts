import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('webhook settings', () => {
  it("default to Svix's schedule, 20 % jitter, 15 s per wait, 30 s per attempt, five days to disable, 30 days kept", () => {
    expect(loadConfig({}).webhooks).toEqual({
      retryScheduleMs: [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000],
      retryJitter: 0.2,
      maxRetryAfterMs: 3_600_000,
      attemptTimeoutMs: 15_000,
      attemptDeadlineMs: 30_000,
      disableAfterMs: 120 * 3_600_000,
      concurrency: 8,
      pollIntervalMs: 1_000,
      retentionSeconds: 30 * 86_400,
      worker: true,
      secretKey: null,
      previousSecretKey: null,
    });
    expect(loadConfig({}).webhookAllowPrivate).toBe(false);
  });

  it('read a schedule of durations with units, or none', () => {
    const config = loadConfig({
      RDEV_WEBHOOK_RETRY_SCHEDULE: '250ms, 2s,1m,1h,1d',
      RDEV_WEBHOOK_WORKER: 'false',
    });
    expect(config.webhooks.retryScheduleMs).toEqual([250, 2_000, 60_000, 3_600_000, 86_400_000]);
    expect(config.webhooks.worker).toBe(false);
    expect(loadConfig({ RDEV_WEBHOOK_RETRY_SCHEDULE: '' }).webhooks.retryScheduleMs).toEqual([]);
  });

  it('report every bad webhook setting at once', () => {
    let error: unknown;
    try {
      loadConfig({
        RDEV_WEBHOOK_RETRY_SCHEDULE: '5 seconds',
        RDEV_WEBHOOK_RETRY_JITTER_PERCENT: '150',
        RDEV_WEBHOOK_ATTEMPT_TIMEOUT_MS: '0',
        RDEV_WEBHOOK_CONCURRENCY: 'many',
        RDEV_WEBHOOK_SECRET_KEY: 'too-short',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(5);
    expect(problems.join('\n')).toContain(
      'RDEV_WEBHOOK_RETRY_SCHEDULE="5 seconds": must be comma-separated durations',
    );
    expect(problems.join('\n')).toContain(
      'RDEV_WEBHOOK_SECRET_KEY=(hidden): must be 32 random bytes in base64',
    );
    expect(problems.join('\n')).not.toContain('too-short');
  });

  it('read the key that seals signing secrets as 32 bytes', () => {
    const key = Buffer.alloc(32, 7);
    expect(loadConfig({ RDEV_WEBHOOK_SECRET_KEY: key.toString('base64') }).webhooks.secretKey).toEqual(key);
  });

  it('read the key being replaced only next to the key that replaces it, without echoing it', () => {
    const [key, previous] = [Buffer.alloc(32, 7), Buffer.alloc(32, 9)];
    const both = loadConfig({
      RDEV_WEBHOOK_SECRET_KEY: key.toString('base64'),
      RDEV_WEBHOOK_SECRET_KEY_PREVIOUS: previous.toString('base64'),
    }).webhooks;
    expect(both).toMatchObject({ secretKey: key, previousSecretKey: previous });
    let error: unknown;
    try {
      loadConfig({ RDEV_WEBHOOK_SECRET_KEY_PREVIOUS: previous.toString('base64') });
    } catch (e) {
      error = e;
    }
    expect((error as ConfigError).problems).toEqual([
      'RDEV_WEBHOOK_SECRET_KEY_PREVIOUS=(hidden): is only used next to RDEV_WEBHOOK_SECRET_KEY, the key that replaces it',
    ]);
    expect(String(error)).not.toContain(previous.toString('base64'));
  });
});
