import type { Project, ProjectConfigProblem } from '../domain/project.js';

/** Everything a source knows at one moment: its projects and the problems it found reading them. */
export interface ProjectSnapshot {
  projects: Project[];
  problems: ProjectConfigProblem[];
  at: Date;
}

/** The state of the Kubernetes API circuit breaker; `null` where there is none (local folders). */
export type CircuitState = 'CLOSED' | 'OPEN' | 'HALF_OPEN';

/** How well a source is keeping up with the world it watches. */
export interface ProjectSourceHealth {
  /**
   * True while the source's view is known to be current: its watches run, or its last scan
   * worked. False means what it last reported may be out of date.
   */
  synced: boolean;
  /** When the source last read the whole world successfully. */
  lastSyncedAt: Date | null;
  /** The last failure to reach the runtime, for a person; `null` once it works again. */
  lastError: string | null;
  circuitState: CircuitState | null;
}

export interface ProjectSourceListener {
  /** A new view, sent whenever anything changed. Snapshots are whole, never deltas. */
  onSnapshot(snapshot: ProjectSnapshot): void;
  /** The source's health changed (a watch broke or came back, the breaker moved). */
  onHealth?(health: ProjectSourceHealth): void;
}

/**
 * Where projects come from: pods in a namespace, or folders on this machine. A source watches its
 * world after `start()` and pushes whole snapshots; `load()` reads on demand.
 */
export interface ProjectSource {
  readonly runtime: 'local' | 'kubernetes';
  /**
   * Starts watching. Resolves once the first view is known or the first attempt failed (a source
   * keeps retrying in the background, so a runtime that is down at boot does not stop rdev).
   */
  start(): Promise<void>;
  /** Stops every watch and timer. */
  stop(): Promise<void>;
  /**
   * The projects now. While the source is synced it may answer from its watched view; with
   * `fresh`, or when not synced, it reads the runtime again.
   * @throws RuntimeUnavailableError when the runtime cannot be read (circuit open, timeout, 5xx).
   */
  load(options?: { fresh?: boolean }): Promise<ProjectSnapshot>;
  /** Registers a listener; returns the function that removes it. */
  subscribe(listener: ProjectSourceListener): () => void;
  health(): ProjectSourceHealth;
}
