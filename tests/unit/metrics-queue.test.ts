import { afterEach, describe, expect, it, vi } from 'vitest';
import { AppMetrics, type QueueSample } from '../../src/observability/metrics.js';

const PROJECTS = 5_000;

function rows(queued: number): QueueSample[] {
  return Array.from({ length: PROJECTS }, (_, i) => ({
    projectName: `project-${i}`,
    queued,
    running: i % 3,
    oldestQueuedAt: new Date(Date.now() - 60_000),
  }));
}

describe('queue gauges', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('read the queue once for any number of scrapes within a few seconds, whatever the number of projects', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const metrics = new AppMetrics();
    let reads = 0;
    metrics.trackQueue(async () => {
      reads++;
      return rows(reads);
    });

    const first = await metrics.registry.metrics();
    await Promise.all([metrics.registry.metrics(), metrics.registry.metrics()]);
    expect(reads).toBe(1);
    expect(first.match(/^rdev_command_queue_depth\{/gm)).toHaveLength(PROJECTS);
    expect(first.match(/^rdev_commands_running\{/gm)).toHaveLength(PROJECTS);
    expect(first).toContain('rdev_command_queue_depth{project="project-42"} 1');
    expect(first).toContain('rdev_commands_running{project="project-42"} 0');
    expect(first).toMatch(/rdev_command_queue_oldest_age_seconds\{project="project-7"\} 60/);

    vi.setSystemTime(Date.now() + 6_000);
    const later = await metrics.registry.metrics();
    expect(reads).toBe(2);
    expect(later).toContain('rdev_command_queue_depth{project="project-42"} 2');
  });

  it('keep the last values when the database cannot be read, and drop projects that left the queue', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const metrics = new AppMetrics();
    let answer: () => Promise<QueueSample[]> = async () => [
      { projectName: 'a', queued: 3, running: 1, oldestQueuedAt: new Date() },
      { projectName: 'b', queued: 1, running: 0, oldestQueuedAt: new Date() },
    ];
    metrics.trackQueue(() => answer());
    expect(await metrics.registry.metrics()).toContain('rdev_command_queue_depth{project="b"} 1');

    answer = async () => {
      throw new Error('connection refused');
    };
    vi.setSystemTime(Date.now() + 6_000);
    const during = await metrics.registry.metrics();
    expect(during).toContain('rdev_command_queue_depth{project="a"} 3');

    answer = async () => [{ projectName: 'a', queued: 0, running: 1, oldestQueuedAt: null }];
    vi.setSystemTime(Date.now() + 6_000);
    const after = await metrics.registry.metrics();
    expect(after).toContain('rdev_command_queue_depth{project="a"} 0');
    expect(after).not.toContain('project="b"');
    expect(after).not.toMatch(/rdev_command_queue_oldest_age_seconds\{project="a"\}/);
  });
});
