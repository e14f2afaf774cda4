/**
 * Seals secrets rdev must keep in a form it can use again (webhook signing secrets) before they
 * are stored, and opens them when they are needed.
 */
export interface SecretBox {
  seal(secret: string): string;
  /** @throws SecretBoxError when a sealed value cannot be opened with this box's key. */
  open(stored: string): string;
}

export class SecretBoxError extends Error {}
