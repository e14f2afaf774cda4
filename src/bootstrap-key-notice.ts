import { chmodSync, renameSync, rmSync, writeFileSync } from 'node:fs';

export interface BootstrapKeyOutput {
  /** Whether stdout is a terminal: only then may the key be printed, since logs keep stdout. */
  isTTY: boolean;
  /** RDEV_BOOTSTRAP_KEY_FILE, absolute, or null. */
  file: string | null;
  out(text: string): void;
  err(text: string): void;
}

const HOW_TO_GET_ONE =
  'Create an admin key with `rdev keys create --admin` (same DATABASE_URL; with the embedded database,\n' +
  'stop rdev first: one process at a time opens its data folder), or, on a fresh database, set\n' +
  'RDEV_BOOTSTRAP_KEY_FILE to have the first key written to a file (mode 0600), or\n' +
  'RDEV_BOOTSTRAP_ADMIN_KEY to choose it (`rdev keys generate`).\n';

/**
 * Hands the first admin key, generated on the first start of an empty database, to the person
 * starting rdev without putting it in logs: to a file readable by its owner only when one is
 * configured, on a terminal, and nowhere otherwise (stdout of a container is its log, which
 * many people and systems read). Only the key's digest is stored, so a key that is not shown is
 * lost; the message then says how to make another.
 */
export function announceBootstrapKey(key: string, output: BootstrapKeyOutput): void {
  if (output.file) {
    try {
      writeSecretFile(output.file, `${key}\n`);
      output.out(
        `\nFirst admin API key written to ${output.file} (readable by its owner only); store it, then delete the file.\n\n`,
      );
      return;
    } catch (error) {
      output.err(
        `rdev: cannot write the first admin key to RDEV_BOOTSTRAP_KEY_FILE (${output.file}): ${(error as Error).message}\n` +
          'The key was not printed and is lost. ' +
          HOW_TO_GET_ONE,
      );
      return;
    }
  }
  if (output.isTTY) {
    output.out(
      `\nFirst admin API key (shown once, store it now; send it as "Authorization: Bearer <key>"):\n${key}\n\n`,
    );
    return;
  }
  output.out(
    '\nA first admin API key was created, but it is not printed: stdout is not a terminal, and logs must not hold keys.\n' +
      HOW_TO_GET_ONE +
      '\n',
  );
}

/** Writes `text` to `file` created with mode 0600, through a temporary name so no reader sees part of it. */
function writeSecretFile(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, text, { mode: 0o600, flag: 'wx' });
    chmodSync(tmp, 0o600);
    renameSync(tmp, file);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
}
