import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalProjectSource } from '../../src/adapters/local/local-project-source.js';
import { DomainError } from '../../src/domain/errors.js';
import { type KeyPrincipal, systemPrincipal } from '../../src/domain/principal.js';
import type { ProjectEvent } from '../../src/domain/project.js';
import type { Scope } from '../../src/domain/scopes.js';
import { ProjectCatalog } from '../../src/engine/project-catalog.js';
import { ProjectService } from '../../src/services/project-service.js';
import { waitFor } from '../support/wait.js';

function key(scopes: Scope[], projectNames: string[] | null = null): KeyPrincipal {
  return {
    kind: 'key',
    keyId: 'k1',
    keyName: 'test',
    credentialId: 'c1',
    scopes: new Set(scopes),
    projectNames,
    allowedIps: [],
    expiresAt: null,
    clientIp: '127.0.0.1',
    requestId: 'r1',
  };
}

async function code(promise: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    if (error instanceof DomainError) return error.code;
    throw error;
  }
  return 'OK';
}

describe('ProjectService: scopes, project grants, pages and filters', () => {
  let dir: string;
  let catalog: ProjectCatalog;
  let service: ProjectService;
  const reader = key(['projects:read']);

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rdev-projects-'));
    for (const name of ['alpha', 'api', 'beta', 'web']) mkdirSync(join(dir, name));
    writeFileSync(join(dir, 'rdev-projects.yaml'), 'api:\n  allowed_commands: [GIT]\n');
    catalog = new ProjectCatalog({
      source: new LocalProjectSource({
        workspacesDir: dir,
        projectsFile: join(dir, 'rdev-projects.yaml'),
        rescanMs: 60_000,
      }),
      ttlMs: 60_000,
    });
    await catalog.start();
    service = new ProjectService({ catalog });
  });

  afterEach(async () => {
    await catalog.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('requires a principal and the projects:read scope (admin implies it)', async () => {
    expect(await code(service.list(null))).toBe('UNAUTHENTICATED');
    expect(await code(service.list(key(['commands:read'])))).toBe('FORBIDDEN');
    expect(await code(service.find(key(['commands:read']), 'api'))).toBe('FORBIDDEN');
    expect(await code(() => service.updates(key(['commands:read'])))).toBe('FORBIDDEN');
    expect(await code(() => service.status(null))).toBe('UNAUTHENTICATED');
    expect((await service.list(key(['admin']))).totalCount).toBe(4);
    expect((await service.list(systemPrincipal('dispatcher'))).totalCount).toBe(4);
  });

  it('hides projects a key is not granted: absent from lists, not found by name', async () => {
    const limited = key(['projects:read'], ['api', 'web']);
    const page = await service.list(limited);
    expect(page.items.map((p) => p.name)).toEqual(['api', 'web']);
    expect(page.totalCount).toBe(2);
    expect(await service.find(limited, 'alpha')).toBeNull();
    expect(await service.find(limited, 'does-not-exist')).toBeNull();
    expect(await code(service.get(limited, 'alpha'))).toBe('NOT_FOUND');
    expect(await code(service.get(limited, 'does-not-exist'))).toBe('NOT_FOUND');
    expect((await service.get(limited, 'api')).allowedCommandTypes).toEqual(['GIT']);
    // The command subsystem asks as the system, which sees every project.
    expect((await service.get(systemPrincipal('dispatcher'), 'alpha')).workspacePath).toBe(
      join(dir, 'alpha'),
    );
  });

  it('pages by name and filters by status, label and name prefix', async () => {
    const first = await service.list(reader, { first: 2 });
    expect(first.items.map((p) => p.name)).toEqual(['alpha', 'api']);
    expect(first.hasNextPage).toBe(true);
    const second = await service.list(reader, { first: 2, after: first.cursors[1] });
    expect(second.items.map((p) => p.name)).toEqual(['beta', 'web']);
    expect(second.hasNextPage).toBe(false);
    expect((await service.list(reader, { filter: { namePrefix: 'a' } })).items.map((p) => p.name)).toEqual([
      'alpha',
      'api',
    ]);
    expect((await service.list(reader, { filter: { status: 'PENDING' } })).items).toEqual([]);
    expect((await service.list(reader, { filter: { status: 'RUNNING' } })).totalCount).toBe(4);
    // Folders carry no labels.
    expect((await service.list(reader, { filter: { label: 'team=a' } })).items).toEqual([]);
    expect(await code(service.list(reader, { first: 101 }))).toBe('VALIDATION_FAILED');
    expect(await code(service.list(reader, { after: 'bm90LWEtY3Vyc29y' }))).toBe('VALIDATION_FAILED');
    expect(await code(service.find(reader, 'x'.repeat(64)))).toBe('VALIDATION_FAILED');
  });

  it('refreshes for admins only', async () => {
    expect(await code(service.refresh(reader))).toBe('FORBIDDEN');
    mkdirSync(join(dir, 'fresh'));
    const projects = await service.refresh(key(['admin'], ['fresh', 'api']));
    expect(projects.map((p) => p.name)).toEqual(['api', 'fresh']);
  });

  it('streams only the events of granted projects, checked when the subscription starts', async () => {
    const all: ProjectEvent[] = [];
    const limited: ProjectEvent[] = [];
    const collect = async (stream: AsyncIterableIterator<ProjectEvent>, into: ProjectEvent[]) => {
      for await (const event of stream) into.push(event);
    };
    const allStream = service.updates(reader);
    const limitedStream = service.updates(key(['projects:read'], ['gamma']));
    const done = Promise.all([collect(allStream, all), collect(limitedStream, limited)]);
    mkdirSync(join(dir, 'delta'));
    mkdirSync(join(dir, 'gamma'));
    await waitFor(() => all.length === 2);
    rmSync(join(dir, 'gamma'), { recursive: true });
    await waitFor(() => all.length === 3);
    expect(all.map((e) => `${e.type} ${e.project.name}`).sort()).toEqual([
      'DISCOVERED delta',
      'DISCOVERED gamma',
      'REMOVED gamma',
    ]);
    expect(limited.map((e) => `${e.type} ${e.project.name}`)).toEqual(['DISCOVERED gamma', 'REMOVED gamma']);
    await allStream.return?.();
    await limitedStream.return?.();
    await done;
  });

  it('reports settings problems only to keys that may see the project', async () => {
    writeFileSync(join(dir, 'rdev-projects.yaml'), 'api:\n  allowed_commands: [GITT]\nnowhere: {}\n');
    await service.refresh(key(['admin']));
    expect(
      service
        .status(reader)
        .problems.map((p) => p.entry)
        .sort(),
    ).toEqual(['api', 'nowhere']);
    expect(service.status(key(['projects:read'], ['api'])).problems.map((p) => p.entry)).toEqual(['api']);
    expect(service.status(key(['projects:read'], ['web'])).problems).toEqual([]);
  });
});
