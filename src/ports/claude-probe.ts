import type { WorkspaceTarget } from './workspace-runtime.js';

/** What one look for the Claude Code CLI found. */
export type ClaudeProbeResult =
  /** `claude --version` ran: its first line of output, and the program's path. */
  | { available: true; version: string; path: string }
  /** It is not there or does not run; `message` says where rdev looked and how to install it. */
  | { available: false; message: string };

/**
 * Looks for the `claude` program where a workspace's commands run, with the environment they get:
 * the PATH of rdev's own commands locally, the pod's container on Kubernetes.
 */
export interface ClaudeProbe {
  /**
   * @throws RuntimeUnavailableError when the workspace cannot be reached at all: that says
   * nothing about `claude`.
   */
  probe(target: WorkspaceTarget): Promise<ClaudeProbeResult>;
}
