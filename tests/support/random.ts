/**
 * Randomness a failing run can replay: tests draw from `testRandom()`, whose seed is logged and
 * can be set with RDEV_TEST_SEED.
 */

/** mulberry32: a small seeded generator of numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * A seeded generator for one test file: the seed comes from RDEV_TEST_SEED or the clock, and is
 * printed with `label` so the run can be repeated with the same draws.
 */
export function testRandom(label: string): {
  seed: number;
  random: () => number;
  int(min: number, max: number): number;
} {
  const fromEnv = process.env.RDEV_TEST_SEED;
  const seed = fromEnv !== undefined && fromEnv !== '' ? Number(fromEnv) : Date.now() % 1_000_000;
  if (!Number.isInteger(seed))
    throw new Error(`RDEV_TEST_SEED must be an integer, got ${JSON.stringify(fromEnv)}`);
  console.info(`[rdev tests] ${label}: seed ${seed} (replay with RDEV_TEST_SEED=${seed})`);
  const random = seededRandom(seed);
  return { seed, random, int: (min, max) => min + Math.floor(random() * (max - min + 1)) };
}
