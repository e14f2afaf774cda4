import { describe, expect, it } from 'vitest';
import { ClaudeUnavailableError, RuntimeUnavailableError } from '../../src/domain/errors.js';
import { ClaudeAvailability } from '../../src/engine/claude-availability.js';
import type { ClaudeProbe, ClaudeProbeResult } from '../../src/ports/claude-probe.js';
import type { WorkspaceTarget } from '../../src/ports/workspace-runtime.js';

const MISSING: ClaudeProbeResult = { available: false, message: 'claude was not found' };
const PRESENT: ClaudeProbeResult = { available: true, version: '2.0.0 (Claude Code)', path: '/bin/claude' };

/** A probe whose answer the test sets, counting the looks per project. */
function scriptedProbe(initial: ClaudeProbeResult | Error) {
  const looks: string[] = [];
  const probe = {
    answer: initial,
    looks,
    async probe(target: WorkspaceTarget): Promise<ClaudeProbeResult> {
      looks.push(`${target.projectName}@${target.podName ?? '-'}`);
      await new Promise((r) => setTimeout(r, 5));
      if (probe.answer instanceof Error) throw probe.answer;
      return probe.answer;
    },
  } satisfies ClaudeProbe & Record<string, unknown>;
  return probe;
}

function clock() {
  let now = Date.parse('2030-01-01T00:00:00Z');
  return {
    now: () => new Date(now),
    advance: (ms: number) => {
      now += ms;
    },
  };
}

const demo: WorkspaceTarget = { projectName: 'demo', workspacePath: '/w/demo', podName: 'ws-0' };
const other: WorkspaceTarget = { projectName: 'other', workspacePath: '/w/other', podName: 'ws-1' };

describe('claude availability', () => {
  it('checks once for every project locally, refuses while missing, and looks again on each refused run', async () => {
    const probe = scriptedProbe(MISSING);
    const c = clock();
    const shared = { projectName: 'every project', workspacePath: '/w' };
    const claude = new ClaudeAvailability({ probe, clock: c.now, sharedTarget: shared });
    // Two at once share one look.
    const [a, b] = await Promise.all([claude.checkAtStart(), claude.statuses()]);
    expect(a).toMatchObject({ projectName: null, available: false, message: 'claude was not found' });
    expect(b).toEqual([a]);
    expect(probe.looks).toEqual(['every project@-']);

    await expect(claude.require(demo)).rejects.toThrow(ClaudeUnavailableError);
    await expect(claude.require(other)).rejects.toThrow('claude was not found');
    expect(probe.looks).toHaveLength(3);
    // runtimeStatus repeats a failed check only after 30 s.
    await claude.statuses();
    expect(probe.looks).toHaveLength(3);
    c.advance(30_000);
    await claude.statuses();
    expect(probe.looks).toHaveLength(4);

    probe.answer = PRESENT;
    await claude.require(demo);
    await claude.require(other);
    // A good check is trusted: one look for both runs.
    expect(probe.looks).toHaveLength(5);
    expect(await claude.statuses()).toEqual([
      expect.objectContaining({
        projectName: null,
        available: true,
        version: '2.0.0 (Claude Code)',
        path: '/bin/claude',
        message: null,
      }),
    ]);
    // ...for ten minutes.
    c.advance(10 * 60_000);
    await claude.require(demo);
    expect(probe.looks).toHaveLength(6);
  });

  it('checks each project on its own on first use, and again when its pod changed', async () => {
    const probe = scriptedProbe(PRESENT);
    const claude = new ClaudeAvailability({ probe, clock: clock().now });
    expect(await claude.checkAtStart()).toBeNull();
    expect(await claude.statuses()).toEqual([]);
    await claude.require(demo);
    await claude.require(demo);
    expect(probe.looks).toEqual(['demo@ws-0']);
    expect((await claude.statuses()).map((s) => s.projectName)).toEqual(['demo']);

    probe.answer = MISSING;
    await expect(claude.require(other)).rejects.toThrow(ClaudeUnavailableError);
    await claude.require(demo);
    await expect(claude.require({ ...demo, podName: 'ws-0-new' })).rejects.toThrow(ClaudeUnavailableError);
    expect(probe.looks).toEqual(['demo@ws-0', 'other@ws-1', 'demo@ws-0-new']);
    expect((await claude.statuses()).map((s) => [s.projectName, s.available])).toEqual([
      ['demo', false],
      ['other', false],
    ]);
  });

  it('does not refuse, nor remember anything, when the workspace cannot be reached', async () => {
    const probe = scriptedProbe(new RuntimeUnavailableError('pod not running'));
    const claude = new ClaudeAvailability({ probe, clock: clock().now });
    await claude.require(demo);
    expect(await claude.statuses()).toEqual([]);
    probe.answer = MISSING;
    await expect(claude.require(demo)).rejects.toThrow(ClaudeUnavailableError);
  });
});
