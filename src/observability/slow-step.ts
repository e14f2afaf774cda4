/**
 * Where a start-up says what it is doing when a step is slow (`rdev serve`: a line on stderr), so
 * a first start on a busy machine is not a silent minute. One line, without a trailing newline.
 */
export type StartupProgress = (line: string) => void;

/** How long a step runs before it is announced: quick starts stay as quiet as before. */
export const SLOW_STEP_MS = 1_000;

/**
 * Runs `work`; if it is still running after `afterMs`, tells `progress` what it is. Nothing is
 * printed for a step that finishes in time, or when there is no `progress`.
 */
export async function announceIfSlow<T>(
  progress: StartupProgress | undefined,
  line: string,
  work: () => Promise<T>,
  afterMs = SLOW_STEP_MS,
): Promise<T> {
  if (!progress) return work();
  const timer = setTimeout(() => progress(line), afterMs);
  try {
    return await work();
  } finally {
    clearTimeout(timer);
  }
}

/** The CLI's progress: stderr, so stdout keeps only what scripts read (the address, the first key). */
export const printProgress: StartupProgress = (line) => {
  process.stderr.write(`rdev: ${line}\n`);
};
