/**
 * Seals secrets rdev must keep in a form it can use again (webhook signing secrets) before they
 * are stored, and opens them when they are needed.
 */
export interface SecretBox {
  seal(secret: string): string;
  /** @throws SecretBoxError when a sealed value cannot be opened with this box's keys. */
  open(stored: string): string;
  /**
   * Whether a stored value is as `seal` would store it now: false for a value in clear while a
   * key is set, or sealed with a key being replaced. Such values are worth re-sealing.
   */
  isCurrent(stored: string): boolean;
}

export class SecretBoxError extends Error {}
