import type { Stats } from 'node:fs';
import { lstat } from 'node:fs/promises';

/** `lstat` of `path`, `null` when nothing is there (or a component on the way is no folder). */
export async function lstatOrNull(path: string): Promise<Stats | null> {
  try {
    return await lstat(path);
  } catch (error) {
    if (codeOf(error) === 'ENOENT' || codeOf(error) === 'ENOTDIR') return null;
    throw error;
  }
}

/** The errno code of a Node system error, `undefined` for anything else. */
export function codeOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | null)?.code;
}

/** A `catch` handler that swallows the one errno `code` and rethrows any other failure. */
export function ignoreCode(code: string) {
  return (error: unknown) => {
    if (codeOf(error) !== code) throw error;
  };
}
