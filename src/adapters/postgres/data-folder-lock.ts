import { linkSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';

// PGlite runs PostgreSQL inside the process, without the postmaster that would refuse a second
// one: two processes opening the same folder both write to it, and each overwrites what the other
// wrote (a key created by `rdev keys create` while `rdev serve` runs is lost, and the second
// process can abort). Every process that opens the folder therefore holds this lock first.

/** Who holds a data folder, as written in its lock file. */
export interface LockOwner {
  pid: number;
  /** The process's start time as the kernel counts it (Linux), telling a reused pid apart. */
  startedAt: string | null;
  host: string;
}

/** Another live process holds the data folder. */
export class DataFolderBusyError extends Error {
  constructor(
    readonly folder: string,
    readonly owner: LockOwner,
  ) {
    super(
      `another rdev (pid ${owner.pid}${owner.host === hostname() ? '' : ` on ${owner.host}`}) is using the data folder ${folder}; stop it first or set DATABASE_URL to share a PostgreSQL database`,
    );
  }
}

export interface DataFolderLock {
  /** Removes the lock file if it is still this process's. Safe to call twice. */
  release(): void;
}

/** The start time of process `pid` (field 22 of /proc/PID/stat), or null where it cannot be read. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function isAlive(owner: LockOwner): boolean {
  // The host is not trusted to mean another machine: a container or pod gets a new host name at
  // every start, and a lock its crashed predecessor left on the volume must not hold for ever.
  // The pid and start time tell: a new container's pid 1 started at another tick than the old one.
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  // The pid lives, but it may be another program that got the number after a crash or reboot.
  const startedAt = processStartTime(owner.pid);
  return owner.startedAt === null || startedAt === null || startedAt === owner.startedAt;
}

function parseOwner(text: string): LockOwner | null {
  try {
    const owner = JSON.parse(text) as Partial<LockOwner>;
    if (typeof owner.pid !== 'number' || typeof owner.host !== 'string') return null;
    return { pid: owner.pid, startedAt: owner.startedAt ?? null, host: owner.host };
  } catch {
    return null; // unreadable or half-written: treated as stale below
  }
}

/**
 * Takes the lock file `file` for `folder` (created atomically, failing if it exists, holding this process's pid and
 * start time) or throws DataFolderBusyError naming the live owner. A lock left by a process that
 * died is taken over. The lock is released by `release()` or, failing that, when the process exits.
 */
export function lockDataFolder(folder: string, file: string): DataFolderLock {
  const mine: LockOwner = { pid: process.pid, startedAt: processStartTime(process.pid), host: hostname() };
  const text = `${JSON.stringify(mine)}\n`;
  for (let attempt = 0; ; attempt++) {
    if (createWith(file, text)) break;
    if (attempt >= 3) throw new Error(`cannot take the lock ${file}: it keeps changing`);
    const seen = readFileSyncSafe(file);
    const owner = seen === null ? null : parseOwner(seen);
    if (owner && isAlive(owner)) throw new DataFolderBusyError(folder, owner);
    // Stale (or gone): re-read just before removing, so a lock another process took over meanwhile stays.
    if (seen !== null && readFileSyncSafe(file) === seen) rmSync(file, { force: true });
  }
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    process.off('exit', release);
    if (readFileSyncSafe(file) === text) rmSync(file, { force: true });
  };
  process.on('exit', release);
  return { release };
}

/**
 * Creates `file` holding `text`, or returns false if it exists. The text is written under a
 * temporary name and linked into place, so no reader ever sees an empty or partial lock.
 */
function createWith(file: string, text: string): boolean {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o644 });
  try {
    linkSync(tmp, file);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    // A file system without hard links: an exclusive create, then the write.
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'ENOSYS') {
      try {
        writeFileSync(file, text, { mode: 0o644, flag: 'wx' });
        return true;
      } catch (again) {
        if ((again as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw again;
      }
    }
    throw error;
  } finally {
    rmSync(tmp, { force: true });
  }
}

function readFileSyncSafe(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}
