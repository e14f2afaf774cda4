import { type FSWatcher, watch } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { RuntimeUnavailableError } from '../../domain/errors.js';
import type { Project, ProjectConfigProblem } from '../../domain/project.js';
import type { Logger } from '../../observability/logger.js';
import type {
  ProjectSnapshot,
  ProjectSource,
  ProjectSourceHealth,
  ProjectSourceListener,
} from '../../ports/project-source.js';
import { MAX_SETTINGS_TEXT_BYTES } from '../yaml/project-settings.js';
import { buildLocalProjects } from './local-projects.js';

export interface LocalProjectSourceOptions {
  /** Each sub-folder is a project. Created when missing. */
  workspacesDir: string;
  /** The optional projects file (same settings as the Kubernetes ConfigMap entries). */
  projectsFile: string;
  /** A full rescan this often, as a safety net for file-system events that never came. */
  rescanMs: number;
  /** Create a `demo` project folder when there is none at all. */
  createDemo?: boolean;
  logger?: Logger;
}

const DEMO_README = `# demo

A project folder created by rdev because the workspaces folder was empty. Every sub-folder of the
workspaces folder is a project; commands run with the folder as their working directory.
`;

/**
 * Projects from folders: each sub-folder of the workspaces folder. Folder and projects-file
 * changes are picked up by fs.watch (debounced) and, should an event be missed, by a periodic
 * rescan; no restart is needed.
 */
export class LocalProjectSource implements ProjectSource {
  readonly runtime = 'local' as const;
  private readonly listeners = new Set<ProjectSourceListener>();
  private watchers: FSWatcher[] = [];
  private rescanTimer: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private last: ProjectSnapshot | null = null;
  private lastKey = '';
  private lastError: string | null = null;
  private lastSyncedAt: Date | null = null;
  private scanning: Promise<ProjectSnapshot> | null = null;
  private rescanRequested = false;
  private running = false;

  constructor(private readonly options: LocalProjectSourceOptions) {}

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await mkdir(this.options.workspacesDir, { recursive: true });
    if (this.options.createDemo ?? true) await this.createDemoIfEmpty();
    await this.scan().catch(() => {});
    this.watchFolders();
    this.rescanTimer = setInterval(() => {
      if (this.watchers.length === 0) this.watchFolders();
      this.scheduleScan(0);
    }, this.options.rescanMs);
    this.rescanTimer.unref();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.rescanTimer);
    clearTimeout(this.debounce);
    this.closeWatchers();
    await this.scanning?.catch(() => {});
  }

  async load(): Promise<ProjectSnapshot> {
    return this.scan();
  }

  subscribe(listener: ProjectSourceListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  health(): ProjectSourceHealth {
    return {
      synced: this.last !== null && this.lastError === null,
      lastSyncedAt: this.lastSyncedAt,
      lastError: this.lastError,
      circuitState: null,
    };
  }

  /** Reads the folder now; concurrent callers share a scan, and a request during one queues another. */
  private scan(): Promise<ProjectSnapshot> {
    if (this.scanning) {
      this.rescanRequested = true;
      return this.scanning;
    }
    this.scanning = (async () => {
      try {
        return await this.read();
      } finally {
        this.scanning = null;
        if (this.rescanRequested && this.running) {
          this.rescanRequested = false;
          this.scheduleScan(0);
        }
      }
    })();
    return this.scanning;
  }

  private async read(): Promise<ProjectSnapshot> {
    const dir = this.options.workspacesDir;
    let folders: string[];
    try {
      folders = await this.folders();
    } catch (error) {
      const message = `The workspaces folder ${dir} cannot be read: ${error instanceof Error ? error.message : String(error)}`;
      if (this.lastError !== message) {
        this.lastError = message;
        this.options.logger?.warn({ dir }, message);
        for (const listener of [...this.listeners]) listener.onHealth?.(this.health());
      }
      throw new RuntimeUnavailableError(message);
    }
    const file = await this.readProjectsFile();
    const at = new Date();
    const built = buildLocalProjects(dir, folders, file.content, at);
    const problems: ProjectConfigProblem[] = file.problem
      ? [file.problem, ...built.problems]
      : built.problems;
    const snapshot: ProjectSnapshot = { projects: built.projects, problems, at };
    const recovered = this.lastError !== null;
    this.lastError = null;
    this.lastSyncedAt = at;
    this.last = snapshot;
    const key = fingerprint(built.projects, problems);
    if (key !== this.lastKey) {
      this.lastKey = key;
      for (const listener of [...this.listeners]) listener.onSnapshot(snapshot);
    }
    if (recovered) for (const listener of [...this.listeners]) listener.onHealth?.(this.health());
    return snapshot;
  }

  private async folders(): Promise<string[]> {
    const dir = this.options.workspacesDir;
    const entries = await readdir(dir, { withFileTypes: true });
    const folders: string[] = [];
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      if (entry.isDirectory()) folders.push(entry.name);
      else if (entry.isSymbolicLink()) {
        const target = await stat(join(dir, entry.name)).catch(() => null);
        if (target?.isDirectory()) folders.push(entry.name);
      }
    }
    return folders;
  }

  private async readProjectsFile(): Promise<{
    content: { name: string; text: string } | null;
    problem: ProjectConfigProblem | null;
  }> {
    const path = this.options.projectsFile;
    const name = basename(path);
    try {
      const info = await stat(path);
      if (info.size > MAX_SETTINGS_TEXT_BYTES * 16) {
        throw new Error(`the file is larger than ${MAX_SETTINGS_TEXT_BYTES * 16} bytes`);
      }
      return { content: { name, text: await readFile(path, 'utf8') }, problem: null };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { content: null, problem: null };
      const message = `the projects file cannot be read (${error instanceof Error ? error.message : String(error)}); settings from it are not applied`;
      return { content: null, problem: { source: `file/${name}`, entry: name, project: null, message } };
    }
  }

  private async createDemoIfEmpty(): Promise<void> {
    if ((await this.folders()).length > 0) return;
    const demo = join(this.options.workspacesDir, 'demo');
    await mkdir(demo, { recursive: true });
    await writeFile(join(demo, 'README.md'), DEMO_README, { flag: 'wx' }).catch(() => {});
    this.options.logger?.info({ path: demo }, 'created the demo project folder');
  }

  private watchFolders(): void {
    this.closeWatchers();
    const dirs = new Set([this.options.workspacesDir, dirname(this.options.projectsFile)]);
    for (const dir of dirs) {
      try {
        const watcher = watch(dir, { persistent: false }, () => this.scheduleScan(50));
        // A watched folder that disappears ends its watcher; the periodic rescan sets it up again.
        watcher.on('error', () => this.closeWatchers());
        this.watchers.push(watcher);
      } catch (error) {
        this.options.logger?.debug({ dir, err: String(error) }, 'cannot watch folder; relying on rescans');
      }
    }
  }

  private closeWatchers(): void {
    for (const watcher of this.watchers.splice(0)) watcher.close();
  }

  private scheduleScan(delayMs: number): void {
    if (!this.running) return;
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.scan().catch(() => {});
    }, delayMs);
    this.debounce.unref();
  }
}

function fingerprint(projects: Project[], problems: ProjectConfigProblem[]): string {
  return JSON.stringify([projects.map((p) => ({ ...p, lastSeenAt: 0 })), problems]);
}
