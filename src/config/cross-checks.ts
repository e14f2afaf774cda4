import type { ConfigValues } from './variables.js';

/** Pairs of variables whose first value must not exceed the second. */
const AT_MOST: ReadonlyArray<readonly [keyof ConfigValues, keyof ConfigValues]> = [
  // The default of a request field above its configured maximum would make every request relying
  // on the default fail, with an error blaming the caller for a value it never sent.
  ['RDEV_KEY_ROTATION_GRACE_SECONDS', 'RDEV_KEY_ROTATION_GRACE_MAX_SECONDS'],
  ['RDEV_COMMAND_TIMEOUT_DEFAULT_SECONDS', 'RDEV_COMMAND_TIMEOUT_MAX_SECONDS'],
  // The headers are part of the request; node refuses a server whose header limit is the longer.
  ['RDEV_HTTP_HEADERS_TIMEOUT_MS', 'RDEV_HTTP_REQUEST_TIMEOUT_MS'],
];

/** Problems of variables that are each valid alone but not together. */
export function crossCheckProblems(values: Partial<Record<keyof ConfigValues, unknown>>): string[] {
  const problems: string[] = [];
  for (const [name, maxName] of AT_MOST) {
    const value = values[name] as number | undefined;
    const max = values[maxName] as number | undefined;
    if (value !== undefined && max !== undefined && value > max) {
      problems.push(`${name}=${JSON.stringify(String(value))}: must be at most ${maxName} (${max})`);
    }
  }
  if (values.RDEV_WEBHOOK_SECRET_KEY_PREVIOUS !== undefined && values.RDEV_WEBHOOK_SECRET_KEY === undefined) {
    problems.push(
      'RDEV_WEBHOOK_SECRET_KEY_PREVIOUS=(hidden): is only used next to RDEV_WEBHOOK_SECRET_KEY, the key that replaces it',
    );
  }
  return problems;
}
