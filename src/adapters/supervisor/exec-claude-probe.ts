import { RuntimeUnavailableError } from '../../domain/errors.js';
import type { ClaudeProbe, ClaudeProbeResult } from '../../ports/claude-probe.js';
import type { ExecTransport } from '../../ports/exec-transport.js';
import type { WorkspaceTarget } from '../../ports/workspace-runtime.js';

export interface ExecClaudeProbeDeps {
  transport: ExecTransport;
  /** Where the look happens, in words that finish "not found …": the server's PATH, a pod's container. */
  where(target: WorkspaceTarget): string;
  /** A look that takes longer is given up (and says nothing about `claude`). Default 20 s. */
  timeoutMs?: number;
  /**
   * The sandbox commands run in, if any: the look runs inside it too, since a `claude` under the
   * home folder is out of a sandbox's sight.
   */
  wrapCommand?(target: WorkspaceTarget, cwd: string, argv: readonly string[]): string[];
}

export const INSTALL_HINT = 'npm install -g @anthropic-ai/claude-code';

/**
 * Prints the PATH (to say where it looked), the path of `claude`, then what `claude --version`
 * prints. 127, as a shell answers a missing program, when there is none.
 */
const PROBE_SCRIPT =
  'printf "%s\\n" "$PATH"; p=$(command -v claude) || exit 127; printf "%s\\n" "$p"; exec "$p" --version';

const LIMIT = 16 * 1024;

/**
 * Looks for `claude` through the same transport commands run through, so it sees the PATH and the
 * files a CLAUDE command would see.
 */
export class ExecClaudeProbe implements ClaudeProbe {
  private readonly timeoutMs: number;

  constructor(private readonly deps: ExecClaudeProbeDeps) {
    this.timeoutMs = deps.timeoutMs ?? 20_000;
  }

  async probe(target: WorkspaceTarget): Promise<ClaudeProbeResult> {
    const argv = ['sh', '-c', PROBE_SCRIPT, 'rdev-claude-check'];
    const wrapped = this.deps.wrapCommand ? this.deps.wrapCommand(target, target.workspacePath, argv) : argv;
    const proc = await this.deps.transport.exec(target, wrapped);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      proc.close();
    }, this.timeoutMs);
    let text = '';
    try {
      for await (const chunk of proc.stdout) {
        if (text.length < LIMIT) text += Buffer.from(chunk).toString('utf8');
      }
      const outcome = await proc.done;
      if (outcome.kind !== 'exited') {
        throw new RuntimeUnavailableError(
          `Cannot look for claude in project "${target.projectName}": ${timedOut ? `no answer within ${this.timeoutMs} ms` : outcome.message}`,
          { project: target.projectName },
        );
      }
      const [pathVar = '', program = '', ...version] = text.split('\n');
      const where = this.deps.where(target);
      if (outcome.exitCode === 127 && program === '') {
        return {
          available: false,
          message:
            `The Claude Code CLI (claude) was not found ${where}, on the PATH ${pathVar || '(empty)'}. ` +
            `Install it there with \`${INSTALL_HINT}\`, or put the folder that holds it on that PATH; ` +
            'the next runClaude looks again.',
        };
      }
      const first = version.map((line) => line.trim()).find((line) => line !== '') ?? '';
      if (outcome.exitCode !== 0 || first === '') {
        const why = excerpt(outcome.stderr) || excerpt(version.join('\n')) || 'no output';
        return {
          available: false,
          message:
            `The Claude Code CLI at ${program} (${where}) does not run: \`claude --version\` exited with ` +
            `${outcome.exitCode}: ${why}. Reinstall it with \`${INSTALL_HINT}\`; the next runClaude looks again.`,
        };
      }
      return { available: true, version: first.slice(0, 200), path: program };
    } finally {
      clearTimeout(timer);
      proc.close();
    }
  }
}

function excerpt(text: string): string {
  const trimmed = text.trim().replaceAll(/\s+/g, ' ');
  return trimmed.length > 300 ? `${trimmed.slice(0, 300)}…` : trimmed;
}
