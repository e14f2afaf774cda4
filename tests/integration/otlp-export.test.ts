import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestApp } from '../support/test-app.js';

interface Export {
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A stand-in OpenTelemetry collector: records every OTLP/HTTP export it receives. */
describe('OTLP export', () => {
  let collector: Server;
  let endpoint: string;
  const exports: Export[] = [];

  beforeAll(async () => {
    collector = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      exports.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(200, { 'content-type': req.headers['content-type'] ?? 'application/json' });
      res.end(req.headers['content-type']?.includes('json') ? '{}' : '');
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => collector?.close(resolve));
  });

  it.each([
    ['http/json', 'application/json'],
    ['http/protobuf', 'application/x-protobuf'],
  ])(
    'sends spans to OTEL_EXPORTER_OTLP_ENDPOINT as %s with the configured headers, and never to stdout',
    async (protocol, contentType) => {
      exports.length = 0;
      const stdout = vi.spyOn(process.stdout, 'write');
      const t = await startTestApp('pglite', {
        OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
        OTEL_EXPORTER_OTLP_HEADERS: 'x-collector-token=t0ken',
        OTEL_SERVICE_NAME: 'rdev-under-test',
      });
      try {
        await t.graphql('query ExportMe { viewer { clientIp } }', {}, t.auth());
        await t.app.tracing.forceFlush();
        expect(exports.length).toBeGreaterThan(0);
        const sent = exports[0]!;
        expect(sent.path).toBe('/v1/traces');
        expect(sent.headers['content-type']).toContain(contentType);
        expect(sent.headers['x-collector-token']).toBe('t0ken');
        const all = Buffer.concat(exports.map((e) => e.body)).toString('latin1');
        expect(all).toContain('query ExportMe');
        expect(all).toContain('rdev-under-test');
        const printed = stdout.mock.calls.map((c) => String(c[0])).join('');
        expect(printed).not.toContain('ExportMe');
      } finally {
        stdout.mockRestore();
        await t.close();
      }
    },
  );

  it('sends nothing when no endpoint is set', async () => {
    exports.length = 0;
    const t = await startTestApp('pglite');
    try {
      await t.graphql('query Quiet { viewer { clientIp } }', {}, t.auth());
      await t.app.tracing.forceFlush();
      expect(t.app.tracing.exporting).toBe(false);
      expect(exports).toHaveLength(0);
    } finally {
      await t.close();
    }
  });
});
