/**
 * When to try a failed delivery again, and when to stop.
 *
 * The first attempt is immediate; after the n-th failed automatic attempt the next one waits
 * `scheduleMs[n - 1]`, spread by ±`jitter` so endpoints recovering from an outage are not hit by
 * every queued message at the same instant. Past the end of the schedule the delivery FAILED.
 */
export interface WebhookRetryPolicy {
  scheduleMs: readonly number[];
  /** Fraction of each delay added or removed at random, 0 to 1. */
  jitter: number;
  /** Longest `Retry-After` honoured; a receiver cannot park a delivery for a week. */
  maxRetryAfterMs: number;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** Svix's schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (eight attempts over about 32 h). */
export const DEFAULT_WEBHOOK_RETRY_SCHEDULE_MS: readonly number[] = [
  5 * SECOND,
  5 * MINUTE,
  30 * MINUTE,
  2 * HOUR,
  5 * HOUR,
  10 * HOUR,
  10 * HOUR,
];

/**
 * Delay before the next automatic attempt after `failedAttempts` automatic failures, or `null`
 * when the schedule is used up. A `Retry-After` (429, 503) is honoured up to the policy's bound:
 * the next attempt is never earlier than the receiver asked, nor earlier than the schedule says.
 */
export function nextRetryDelayMs(
  policy: WebhookRetryPolicy,
  failedAttempts: number,
  random: () => number,
  retryAfterMs: number | null = null,
): number | null {
  const base = policy.scheduleMs[failedAttempts - 1];
  if (base === undefined) return null;
  const jittered = Math.round(base * (1 + policy.jitter * (2 * random() - 1)));
  if (retryAfterMs === null) return jittered;
  return Math.max(jittered, Math.min(retryAfterMs, policy.maxRetryAfterMs));
}

/** `Retry-After` as milliseconds from `now`: delta-seconds or an HTTP date. `null` when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: Date): number | null {
  if (!value) return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * SECOND;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now.getTime());
}

/** What a response status means for a delivery. Redirects are not followed: a failure like any other. */
export type WebhookResponseVerdict = 'succeeded' | 'gone' | 'failed';

export function webhookResponseVerdict(statusCode: number): WebhookResponseVerdict {
  if (statusCode >= 200 && statusCode <= 299) return 'succeeded';
  if (statusCode === 410) return 'gone';
  return 'failed';
}

/** Statuses whose `Retry-After` is honoured. */
export function honoursRetryAfter(statusCode: number): boolean {
  return statusCode === 429 || statusCode === 503;
}

/** True when an endpoint failing since `failingSince` has failed for long enough to be disabled. */
export function failingTooLong(failingSince: Date | null, now: Date, disableAfterMs: number): boolean {
  return failingSince !== null && now.getTime() - failingSince.getTime() >= disableAfterMs;
}
