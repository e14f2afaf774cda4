/**
 * Waiting in tests: poll for a condition rather than sleep for a guess. Every polling helper of
 * the suite is here, so a timeout reads the same everywhere and the poll interval is one choice.
 */

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Polls `check` until it holds. A check returns true when it holds, or a list of what is still
 * wrong (empty when it holds). On timeout the error names `what` and shows what was still wrong
 * at the last look: the problems listed, the error thrown, or what `explain` tells.
 */
export async function until(
  check: () => Promise<boolean | string[]> | boolean | string[],
  timeoutMs: number,
  what: string,
  explain: () => Promise<string> = async () => '',
  intervalMs = 200,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let last: string;
    try {
      const outcome = await check();
      if (outcome === true || (Array.isArray(outcome) && outcome.length === 0)) return;
      last = Array.isArray(outcome)
        ? `: still wrong:\n  ${outcome.slice(0, 20).join('\n  ')}${outcome.length > 20 ? `\n  … and ${outcome.length - 20} more` : ''}`
        : ': the condition did not hold';
    } catch (error) {
      last = `: the check failed: ${error instanceof Error ? error.message : String(error)}`;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last}${await explain()}`);
    }
    await sleep(intervalMs);
  }
}

/** Polls a boolean `check` every 20 ms until it holds; throws naming `what` after `timeoutMs`. */
export function waitFor(
  check: () => boolean | Promise<boolean>,
  what = 'condition',
  timeoutMs = 10_000,
): Promise<void> {
  return until(async () => (await check()) === true, timeoutMs, what, undefined, 20);
}

/**
 * Polls `check` until it returns a value (anything but undefined, null or false), and returns
 * that value; throws naming `what` after `timeoutMs`.
 */
export async function eventually<T>(
  check: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  what = 'a value',
  timeoutMs = 30_000,
): Promise<T> {
  let value: T | undefined | null | false;
  await until(
    async () => {
      value = await check();
      return value !== undefined && value !== null && value !== false;
    },
    timeoutMs,
    what,
    undefined,
    20,
  );
  return value as T;
}
