/**
 * Workspace files over streaming HTTP on the local runtime: a 50 MB binary round trip with flat
 * server memory, ranges, conditional requests, listings, limits and refusals.
 */
import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalWorkspaceFileSystem } from '../../src/adapters/local/local-workspace-file-system.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const run = promisify(execFile);
const BIG = 50 * 1024 * 1024;
const LIMIT = 60 * 1024 * 1024;

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  bytes: number;
}

describe('workspace files over HTTP, local runtime', () => {
  let t: TestApp;
  let root: string;
  let workspace: string;

  /** One request; the answer is hashed as it arrives and kept only when small. */
  const send = (
    method: string,
    path: string,
    {
      headers = {},
      body,
      key,
    }: { headers?: Record<string, string>; body?: Buffer | Readable; key?: string } = {},
  ) =>
    new Promise<Reply>((resolve, reject) => {
      const { hostname, port } = new URL(t.url);
      // The path goes out as written: a URL object would resolve `%2e%2e` before sending it.
      const req = request(
        { hostname, port, path, method, headers: { ...t.auth(key), ...headers }, agent: false },
        (res) => {
          const kept: Buffer[] = [];
          let bytes = 0;
          res.on('data', (chunk: Buffer) => {
            bytes += chunk.length;
            if (bytes <= 1024 * 1024) kept.push(chunk);
          });
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(kept),
              bytes,
            }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      if (body instanceof Readable) body.pipe(req);
      else req.end(body);
    });
  const json = (reply: Reply) => JSON.parse(reply.body.toString('utf8'));

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'rdev-files-http-'));
    const workspaces = join(root, 'workspaces');
    workspace = join(workspaces, 'demo');
    mkdirSync(workspace, { recursive: true });
    t = await startTestApp('pglite', {
      RDEV_WORKSPACES_DIR: workspaces,
      RDEV_MAX_UPLOAD_BYTES: String(LIMIT),
    });
  });

  afterAll(async () => {
    await t?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('round-trips 50 MB through PUT and GET with the same sha256 while server memory stays flat', async () => {
    // The client runs in its own process, so only the server's memory is measured here.
    const client = `
      import { createHash, randomBytes } from 'node:crypto';
      import { request } from 'node:http';
      import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
      const [url, key, size] = [process.argv[1], process.argv[2], Number(process.argv[3])];
      const headers = { authorization: 'Bearer ' + key };
      const sent = createHash('sha256');
      let produced = 0;
      const source = new Readable({ read() {
        if (produced >= size) return this.push(null);
        const chunk = randomBytes(Math.min(65536, size - produced));
        produced += chunk.length; sent.update(chunk); this.push(chunk);
      } });
      const put = await new Promise((resolve, reject) => {
        const req = request(url, { method: 'PUT', headers }, (res) => {
          let text = ''; res.on('data', (c) => (text += c)); res.on('end', () => resolve({ status: res.statusCode, etag: res.headers.etag, text }));
        });
        req.on('error', reject); source.pipe(req);
      });
      const got = await new Promise((resolve, reject) => {
        request(url, { headers }, (res) => {
          const hash = createHash('sha256'); let bytes = 0;
          res.on('data', (c) => { hash.update(c); bytes += c.length; });
          res.on('end', () => resolve({ status: res.statusCode, etag: res.headers.etag, bytes, sha256: hash.digest('hex'),
            type: res.headers['content-type'], disposition: res.headers['content-disposition'] }));
        }).on('error', reject).end();
      });
      process.stdout.write(JSON.stringify({ put, got, sent: sent.digest('hex') }));
    `;
    // Chunks already sent are garbage V8 collects lazily (its external-memory threshold is about
    // 64 MB); collecting every 50 ms measures what the server holds, which must not follow the size.
    // Warmed up first, so loading the routes' code is not counted.
    await send('PUT', '/api/v1/projects/demo/files/warm.bin', { body: Buffer.alloc(256 * 1024, 7) });
    expect((await send('GET', '/api/v1/projects/demo/files/warm.bin')).bytes).toBe(256 * 1024);
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    let ticks = 0;
    const sampler = setInterval(() => {
      if (++ticks % 5 === 0) gc();
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 10);
    let result: any;
    try {
      const { stdout } = await run(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          client,
          `${t.url}/api/v1/projects/demo/files/data/big.bin`,
          t.adminKey,
          String(BIG),
        ],
        { maxBuffer: 1024 * 1024 },
      );
      result = JSON.parse(stdout);
    } finally {
      clearInterval(sampler);
    }
    expect(result.put.status, result.put.text).toBe(201);
    expect(JSON.parse(result.put.text)).toMatchObject({ path: 'data/big.bin', kind: 'FILE', size: BIG });
    expect(result.got).toMatchObject({
      status: 200,
      bytes: BIG,
      sha256: result.sent,
      etag: result.put.etag,
      type: 'application/octet-stream',
      disposition: "attachment; filename*=UTF-8''big.bin",
    });
    const grown = (peak - baseline) / (1024 * 1024);
    console.log(`server RSS grew ${grown.toFixed(1)} MB during a ${BIG / 1024 / 1024} MB round trip`);
    expect(grown).toBeLessThan(20);

    // A range is the right slice of the stored bytes.
    const stored = readFileSync(join(workspace, 'data/big.bin'));
    const slice = await send('GET', '/api/v1/projects/demo/files/data/big.bin', {
      headers: { range: 'bytes=1000000-1000999' },
    });
    expect(slice.status).toBe(206);
    expect(slice.headers['content-range']).toBe(`bytes 1000000-1000999/${BIG}`);
    expect(slice.body).toEqual(stored.subarray(1_000_000, 1_001_000));
    const tail = await send('GET', '/api/v1/projects/demo/files/data/big.bin', {
      headers: { range: 'bytes=-10' },
    });
    expect(tail.body).toEqual(stored.subarray(BIG - 10));
    const past = await send('GET', '/api/v1/projects/demo/files/data/big.bin', {
      headers: { range: `bytes=${BIG}-` },
    });
    expect(past.status).toBe(416);
  });

  it('answers conditional requests: 304, If-Match 412, If-None-Match: * 409', async () => {
    const put = await send('PUT', '/api/v1/projects/demo/files/notes/readme.md', {
      body: Buffer.from('# hi\n'),
    });
    expect(put.status).toBe(201);
    const etag = put.headers.etag as string;
    expect(etag).toMatch(/^"[0-9a-f]{64}"$/);
    const cached = await send('GET', '/api/v1/projects/demo/files/notes/readme.md', {
      headers: { 'if-none-match': etag },
    });
    expect(cached.status).toBe(304);
    const text = await send('GET', '/api/v1/projects/demo/files/notes/readme.md');
    expect(text.headers['content-type']).toBe('text/markdown; charset=utf-8');
    expect(text.body.toString()).toBe('# hi\n');

    const replaced = await send('PUT', '/api/v1/projects/demo/files/notes/readme.md', {
      body: Buffer.from('# two\n'),
      headers: { 'if-match': etag },
    });
    expect(replaced.status).toBe(200);
    const stale = await send('PUT', '/api/v1/projects/demo/files/notes/readme.md', {
      body: Buffer.from('# lost\n'),
      headers: { 'if-match': etag },
    });
    expect(stale.status).toBe(412);
    expect(json(stale).error.code).toBe('PRECONDITION_FAILED');
    const createOnly = await send('PUT', '/api/v1/projects/demo/files/notes/readme.md', {
      body: Buffer.from('# nope\n'),
      headers: { 'if-none-match': '*' },
    });
    expect(createOnly.status).toBe(409);
    expect(readFileSync(join(workspace, 'notes/readme.md'), 'utf8')).toBe('# two\n');

    const listing = await send('GET', '/api/v1/projects/demo/files/notes/');
    expect(listing.status).toBe(200);
    expect(json(listing)).toMatchObject({
      path: 'notes',
      truncated: false,
      entries: [{ path: 'notes/readme.md', name: 'readme.md', kind: 'FILE', size: 6 }],
    });
    const deleted = await send('DELETE', '/api/v1/projects/demo/files/notes/readme.md', {
      headers: { 'if-match': replaced.headers.etag as string },
    });
    expect(deleted.status).toBe(204);
    expect(existsSync(join(workspace, 'notes/readme.md'))).toBe(false);
  });

  it('refuses oversized uploads, encoded escapes, hidden paths and keys without the scope', async () => {
    const big = await send('PUT', '/api/v1/projects/demo/files/huge.bin', {
      headers: { 'content-length': String(LIMIT + 1) },
      body: Buffer.alloc(0),
    }).catch((error) => ({ status: 413, error }) as unknown as Reply);
    expect(big.status).toBe(413);
    expect(existsSync(join(workspace, 'huge.bin'))).toBe(false);

    writeFileSync(join(root, 'workspaces', 'outside.txt'), 'not yours');
    for (const path of ['%2e%2e/outside.txt', 'a/%2E%2E/%2e%2e/outside.txt', '%00x']) {
      const reply = await send('GET', `/api/v1/projects/demo/files/${path}`);
      expect(reply.status, path).toBe(422);
      expect(json(reply).error.code).toBe('VALIDATION_FAILED');
    }
    const rdev = await send('PUT', '/api/v1/projects/demo/files/.rdev/x', { body: Buffer.from('x') });
    expect(rdev.status).toBe(403);

    const reader = await t.createKey({ scopes: ['FILES_READ'] });
    const other = await t.createKey({ scopes: ['FILES_READ', 'FILES_WRITE'], projectNames: ['other'] });
    const refused = [
      await send('PUT', '/api/v1/projects/demo/files/r.txt', { body: Buffer.from('x'), key: reader.key }),
      await send('DELETE', '/api/v1/projects/demo/files/data/big.bin', { key: reader.key }),
    ];
    for (const reply of refused) expect(reply.status).toBe(403);
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const reply = await send(method, '/api/v1/projects/demo/files/data/big.bin', {
        key: other.key,
        ...(method === 'PUT' ? { body: Buffer.from('x') } : {}),
      });
      expect(reply.status, method).toBe(404);
    }
    const anonymous = await new Promise<number>((resolve, reject) => {
      request(`${t.url}/api/v1/projects/demo/files/data/big.bin`, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
        .on('error', reject)
        .end();
    });
    expect(anonymous).toBe(401);
    expect(existsSync(join(workspace, 'r.txt'))).toBe(false);
  });

  it('stops a streamed body at the limit and leaves neither the file nor a temporary one', async () => {
    const files = new LocalWorkspaceFileSystem();
    async function* body() {
      for (let i = 0; i < 10; i++) yield Buffer.alloc(1024, 1);
    }
    await expect(
      files.write({ projectName: 'demo', workspacePath: workspace }, 'capped.bin', body(), {
        ifMatch: null,
        createOnly: false,
        createParents: false,
        executable: null,
        maxBytes: 4096,
      }),
    ).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    expect(readdirSync(workspace).filter((n) => n.includes('capped'))).toEqual([]);
  });
});
