import { RuntimeUnavailableError } from '../domain/errors.js';
import {
  type Project,
  type ProjectConfigProblem,
  type ProjectEvent,
  projectChanged,
} from '../domain/project.js';
import type { CircuitState, ProjectSnapshot, ProjectSource } from '../ports/project-source.js';

/** How current the catalog is, for operators and clients. */
export interface ProjectCatalogStatus {
  runtime: 'local' | 'kubernetes';
  /** True when the projects served may be out of date (the source cannot be read right now). */
  stale: boolean;
  lastSyncedAt: Date | null;
  lastError: string | null;
  circuitState: CircuitState | null;
  /** Current problems with project settings and discovery. */
  problems: readonly ProjectConfigProblem[];
}

/** Hooks for logs and metrics, which the services layer does not import. */
export interface ProjectCatalogObserver {
  /** A problem seen for the first time; not repeated while it persists. */
  onNewProblem?(problem: ProjectConfigProblem): void;
  /** Called after anything that may change `status()`. */
  onStatus?(status: ProjectCatalogStatus): void;
}

export interface ProjectCatalogDeps {
  source: ProjectSource;
  /** How long a view is served before the source is asked again. */
  ttlMs: number;
  observer?: ProjectCatalogObserver;
  now?: () => number;
}

/** A list of projects and whether it may be out of date. */
export interface CatalogView {
  projects: Project[];
  stale: boolean;
}

/**
 * The projects rdev knows, cached in front of a source. Snapshots the source pushes update the
 * cache at once; after `ttlMs` without one the source is asked again. When the source fails the
 * last good list keeps being served, marked stale. Changes are announced as project events.
 */
export class ProjectCatalog {
  private projects: Map<string, Project> | null = null;
  private problems: ProjectConfigProblem[] = [];
  private reported = new Set<string>();
  private loadedAt = 0;
  private lastLoadError: string | null = null;
  private readonly inFlight = new Map<boolean, Promise<void>>();
  private readonly listeners = new Set<(event: ProjectEvent) => void>();
  private unsubscribe: (() => void) | null = null;
  private readonly now: () => number;

  constructor(private readonly deps: ProjectCatalogDeps) {
    this.now = deps.now ?? Date.now;
  }

  get runtime(): 'local' | 'kubernetes' {
    return this.deps.source.runtime;
  }

  async start(): Promise<void> {
    this.unsubscribe ??= this.deps.source.subscribe({
      onSnapshot: (snapshot) => this.apply(snapshot),
      onHealth: (health) => {
        // Synced again: the source pushes a snapshot whenever its view differs from the last one,
        // so without one the cache is current and an earlier failed load no longer matters.
        if (health.synced && this.projects !== null) this.lastLoadError = null;
        this.notifyStatus();
      },
    });
    await this.deps.source.start();
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    await this.deps.source.stop();
  }

  /**
   * Every project, by name. Serves the cache while it is younger than the TTL; otherwise reads the
   * source, falling back to the last good list (stale) when that fails.
   * @throws RuntimeUnavailableError when the source fails and nothing was ever read.
   */
  async list(): Promise<CatalogView> {
    if (this.projects === null) {
      await this.reload(false);
    } else if (this.now() - this.loadedAt >= this.deps.ttlMs) {
      const reload = this.reload(false);
      // A source that is known to be failing may take its full time limit to fail again:
      // answer from cache at once and let the retry run in the background.
      if (this.deps.source.health().synced) await reload.catch(() => {});
      else reload.catch(() => {});
    }
    return { projects: this.sorted(), stale: this.isStale() };
  }

  /** One project by name, from the same view as `list()`. */
  async get(name: string): Promise<Project | null> {
    await this.list();
    return this.projects?.get(name) ?? null;
  }

  /**
   * Reads the source again now, bypassing its watched view.
   * @throws RuntimeUnavailableError when the source cannot be read.
   */
  async refresh(): Promise<Project[]> {
    await this.reload(true);
    return this.sorted();
  }

  status(): ProjectCatalogStatus {
    const health = this.deps.source.health();
    return {
      runtime: this.deps.source.runtime,
      stale: this.isStale(),
      lastSyncedAt: health.lastSyncedAt,
      lastError: this.lastLoadError ?? health.lastError,
      circuitState: health.circuitState,
      problems: this.problems,
    };
  }

  /** Calls `listener` with every project event from now on; returns the function that stops it. */
  subscribe(listener: (event: ProjectEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private isStale(): boolean {
    return this.projects === null || this.lastLoadError !== null || !this.deps.source.health().synced;
  }

  private sorted(): Project[] {
    return [...(this.projects?.values() ?? [])].sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
  }

  private reload(fresh: boolean): Promise<void> {
    let pending = this.inFlight.get(fresh);
    if (!pending) {
      pending = (async () => {
        try {
          this.apply(await this.deps.source.load({ fresh }));
        } catch (error) {
          this.lastLoadError = error instanceof Error ? error.message : String(error);
          this.notifyStatus();
          throw error instanceof RuntimeUnavailableError
            ? error
            : new RuntimeUnavailableError(`Projects could not be read: ${this.lastLoadError}`);
        } finally {
          this.inFlight.delete(fresh);
        }
      })();
      this.inFlight.set(fresh, pending);
    }
    return pending;
  }

  /**
   * Takes a new whole view and announces the differences. The first view is the baseline: it
   * announces nothing, so a restart does not report every project as newly discovered.
   */
  private apply(snapshot: ProjectSnapshot): void {
    const previous = this.projects;
    const next = new Map(snapshot.projects.map((p) => [p.name, p]));
    this.projects = next;
    this.loadedAt = this.now();
    this.lastLoadError = null;
    this.applyProblems(snapshot.problems);
    if (previous !== null) {
      const at = new Date(this.now());
      const events: ProjectEvent[] = [];
      for (const [name, project] of next) {
        const before = previous.get(name);
        if (!before) events.push({ type: 'DISCOVERED', project, at });
        else if (projectChanged(before, project)) events.push({ type: 'CHANGED', project, at });
      }
      for (const [name, project] of previous) {
        if (!next.has(name)) events.push({ type: 'REMOVED', project, at });
      }
      for (const event of events) this.emit(event);
    }
    this.notifyStatus();
  }

  private applyProblems(problems: ProjectConfigProblem[]): void {
    this.problems = problems;
    const keys = new Set<string>();
    for (const problem of problems) {
      const key = JSON.stringify([problem.source, problem.entry, problem.message]);
      keys.add(key);
      if (!this.reported.has(key)) this.deps.observer?.onNewProblem?.(problem);
    }
    this.reported = keys;
  }

  private emit(event: ProjectEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch {
        // One broken subscriber must not stop the others from hearing about the change.
      }
    }
  }

  private notifyStatus(): void {
    this.deps.observer?.onStatus?.(this.status());
  }
}
