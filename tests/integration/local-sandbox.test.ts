import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type CommandTestApp, startCommandApp } from '../support/command-test-app.js';

const dataDir = mkdtempSync(join(tmpdir(), 'rdev-sandbox-data-'));
mkdirSync(join(dataDir, 'pglite'));
writeFileSync(join(dataDir, 'pglite', 'PG_VERSION'), '17\n');
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/**
 * What a shell key limited to `demo` tries: the neighbour project's file, rdev's own environment
 * and its data folder; then it writes in its own folder. The findings land in a file of that folder.
 */
async function probe(t: CommandTestApp): Promise<string> {
  writeFileSync(join(t.workspace, '..', 'beta', 'secret.txt'), 'beta-secret\n');
  const script = [
    'cat ../beta/secret.txt',
    `cat /proc/${process.pid}/environ >/dev/null 2>&1 && echo environ-read`,
    `ls '${dataDir}/pglite' 2>/dev/null`,
    'echo own-folder-written',
  ].join('; ');
  const command = await t.runShell({ script: `{ ${script}; } >findings.txt 2>/dev/null` });
  expect((await t.waitForEnd(command.id)).status).toBe('SUCCEEDED');
  return readFileSync(join(t.workspace, 'findings.txt'), 'utf8');
}

describe('the local runtime with RDEV_LOCAL_SANDBOX', () => {
  it('bwrap: a command sees neither other projects, nor rdev process, nor its data folder', {
    timeout: 120_000,
  }, async () => {
    const t = await startCommandApp(
      'local',
      { RDEV_LOCAL_SANDBOX: 'bwrap', RDEV_DATA_DIR: dataDir },
      { extraProjects: { beta: '' } },
    );
    try {
      const found = await probe(t);
      expect(found).not.toContain('beta-secret');
      expect(found).not.toContain('environ-read');
      expect(found).not.toContain('PG_VERSION');
      expect(found).toContain('own-folder-written');
      expect(t.logs.join('')).not.toContain('RDEV_LOCAL_SANDBOX=none');
    } finally {
      await t.close();
    }
  });

  it('bwrap: keeps the network unless the project says sandbox_network: false', {
    timeout: 120_000,
  }, async () => {
    const server = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const t = await startCommandApp(
      'local',
      { RDEV_LOCAL_SANDBOX: 'bwrap', RDEV_DATA_DIR: dataDir },
      { projectSettings: 'sandbox_network: false', extraProjects: { beta: '' } },
    );
    const reach = async (projectName: string, folder: string) => {
      writeFileSync(
        join(folder, 'probe.js'),
        `require('http').get('http://127.0.0.1:${port}/', () => console.log('net-ok')).on('error', () => console.log('net-blocked'))`,
      );
      const command = await t.runShell({ projectName, script: `'${process.execPath}' probe.js > net.txt` });
      expect((await t.waitForEnd(command.id)).status).toBe('SUCCEEDED');
      return readFileSync(join(folder, 'net.txt'), 'utf8').trim();
    };
    try {
      expect(await reach('demo', t.workspace)).toBe('net-blocked');
      expect(await reach('beta', join(t.workspace, '..', 'beta'))).toBe('net-ok');
    } finally {
      await t.close();
      server.close();
    }
  });

  it('none: the same command reads all of it, and rdev warns at start what that means', {
    timeout: 120_000,
  }, async () => {
    const t = await startCommandApp('local', { RDEV_DATA_DIR: dataDir }, { extraProjects: { beta: '' } });
    try {
      const found = await probe(t);
      expect(found).toContain('beta-secret');
      expect(found).toContain('environ-read');
      expect(found).toContain('PG_VERSION');
      const warning = t.logs.map((l) => JSON.parse(l)).find((l) => l.setting === 'RDEV_LOCAL_SANDBOX');
      expect(warning).toMatchObject({ level: 40 });
      expect(warning.msg).toContain('without isolation');
      expect(warning.msg).toContain('/proc/<pid>/environ');
    } finally {
      await t.close();
    }
  });
});
