/**
 * The API key lives in this tab's sessionStorage only: gone when the tab closes, never in a URL,
 * a cookie or localStorage (which other tabs and later visits would share).
 */
const KEY = 'rdev.apiKey';

export function storedKey(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function storeKey(key: string): void {
  sessionStorage.setItem(KEY, key);
}

export function forgetKey(): void {
  sessionStorage.removeItem(KEY);
}
