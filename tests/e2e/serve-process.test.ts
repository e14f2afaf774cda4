import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { runRdev, startRdev } from '../support/rdev-process.js';

const dirs: string[] = [];
function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rdev-e2e-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('rdev serve as a process', () => {
  it('reports every bad variable at once, exits 1, prints no stack trace', async () => {
    const proc = runRdev(['serve'], { PORT: 'abc', DATABASE_URL: 'nope', RDEV_RUNTIME: 'mars' });
    const { code } = await proc.exited;
    expect(code).toBe(1);
    const err = proc.stderr();
    expect(err).toContain('PORT="abc"');
    expect(err).toContain('DATABASE_URL="nope"');
    expect(err).toContain('RDEV_RUNTIME="mars"');
    expect(err).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });

  it('holds no more memory after creating its embedded database than after reopening it', {
    timeout: 120_000,
  }, async () => {
    const dir = scratch();
    const env = { RDEV_DATA_DIR: join(dir, 'data'), RDEV_WORKSPACES_DIR: join(dir, 'ws') };
    const settledRss = async (pid: number) => {
      const samples: number[] = [];
      for (let i = 0; i < 5; i++) {
        await new Promise((r) => setTimeout(r, 200));
        const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
        samples.push(Number(m![1]) * 1024);
      }
      return samples.sort((a, b) => a - b)[2]!;
    };
    const rssOfAStart = async () => {
      const proc = await startRdev(env);
      const rss = await settledRss(proc.child.pid!);
      proc.child.kill('SIGTERM');
      expect((await proc.exited).code).toBe(0);
      return rss;
    };
    const first = await rssOfAStart();
    const again = await rssOfAStart();
    console.log(
      `RSS after the first start ${(first / 2 ** 20).toFixed(0)} MiB, after a restart ${(again / 2 ** 20).toFixed(0)} MiB`,
    );
    // The instance that created the cluster held about twice what a reopened one does.
    expect(first).toBeLessThan(again * 1.3);
  });

  it('drains on SIGTERM: the in-flight request completes, WebSockets close with 1001, exit 0', {
    timeout: 120_000,
  }, async () => {
    const dir = scratch();
    const proc = await startRdev({ RDEV_DATA_DIR: join(dir, 'data'), RDEV_WORKSPACES_DIR: join(dir, 'ws') });
    const { port } = new URL(proc.url);

    const ws = new WebSocket(`${proc.url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    ws.send(JSON.stringify({ type: 'connection_init', payload: {} }));
    await new Promise((resolve) => ws.once('message', resolve));
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));

    // An in-flight request: headers and half the body are sent before SIGTERM, the rest after.
    const body = JSON.stringify({ query: '{ serverInfo { version } }' });
    const half = Math.floor(body.length / 2);
    const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path: '/graphql',
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': body.length },
        },
        (res) => {
          let text = '';
          res.on('data', (d) => {
            text += d;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      req.write(body.slice(0, half));
      setTimeout(() => {
        proc.child.kill('SIGTERM');
        setTimeout(() => req.end(body.slice(half)), 300);
      }, 200);
    });

    expect(await closed).toBe(1001);
    const res = await response;
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toMatchObject({ data: { serverInfo: { version: expect.any(String) } } });
    const { code } = await proc.exited;
    expect(code).toBe(0);
  });
});
