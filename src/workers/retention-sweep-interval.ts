/**
 * How often to delete what has outlived a retention period: a tenth of it, between a second and
 * an hour, so old rows go in modest batches and a short retention (in tests) is still honoured.
 */
export function retentionSweepIntervalMs(retentionMs: number): number {
  return Math.min(3_600_000, Math.max(1000, Math.floor(retentionMs / 10)));
}
