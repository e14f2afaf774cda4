/** `RDEV_*` names that rdev's clients and documented shell examples use; the server ignores them. */
const CLIENT_VARIABLES = new Set(['RDEV_URL', 'RDEV_KEY']);

const PREFIX = 'RDEV_';

/**
 * One warning per `RDEV_*` variable that is not a setting, naming the closest setting: a
 * misspelt name would otherwise be ignored in silence and its default used.
 */
export function unknownVariableWarnings(
  env: Record<string, string | undefined>,
  known: readonly string[],
): string[] {
  const names = new Set(known);
  return Object.keys(env)
    .filter((name) => name.startsWith(PREFIX) && !names.has(name) && !CLIENT_VARIABLES.has(name))
    .sort()
    .map((name) => {
      const closest = closestName(name, known);
      return `${name} is not a setting rdev reads${closest ? ` (did you mean ${closest}?)` : ''}; it is ignored`;
    });
}

/**
 * The known name fewest edits away, compared without the prefix too (`RDEV_PORT` is `PORT`);
 * none when every one is too far off to be what was meant.
 */
function closestName(name: string, known: readonly string[]): string | null {
  const bare = name.slice(PREFIX.length);
  let best: string | null = null;
  let bestDistance = Math.max(2, Math.floor(bare.length / 3)) + 1;
  for (const candidate of known) {
    const distance = Math.min(
      editDistance(name, candidate),
      editDistance(bare, candidate.startsWith(PREFIX) ? candidate.slice(PREFIX.length) : candidate),
    );
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Levenshtein distance: insertions, deletions and substitutions. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length]!;
}
