import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { useWebhookSuite } from '../support/webhook-suite.js';

// How rdev copes with receivers that misbehave is the sender's business; the database only
// records the outcome, so these run on the embedded one.
describe('webhook delivery to misbehaving receivers', () => {
  const { receiver, harness, defer } = useWebhookSuite('pglite');

  it('does not follow redirects: a 3xx is a failed attempt and the target is never asked', async () => {
    const h = await harness();
    const target = await receiver();
    const r = await receiver((_req, res) => {
      res.statusCode = 307;
      res.setHeader('location', `${target.origin}/elsewhere`);
      res.end();
    });
    const { webhook } = await h.webhooks.create(h.admin, { url: r.origin, events: ['command.started'] });
    await h.enqueue({ type: 'command.started', data: {} });
    const [report] = await h.delivery.deliverDue(10);
    expect(report).toMatchObject({ outcome: 'retrying', statusCode: 307 });
    expect(report!.error).toMatch(/redirects are not followed/);
    expect(target.connections()).toBe(0);
    expect((await h.stores.webhookStore.get(webhook.id))?.enabled).toBe(true);
  });

  it('bounds hanging receivers by the attempt timeout', async () => {
    const h = await harness({ attemptTimeoutMs: 300, deadlineMs: 2_000 });
    const r = await receiver(() => new Promise(() => {}));
    const { webhook } = await h.webhooks.create(h.admin, { url: r.origin, events: ['command.queued'] });
    await h.enqueue({ type: 'command.queued', data: {} });
    const [report] = await h.delivery.deliverDue(10);
    expect(report).toMatchObject({
      outcome: 'retrying',
      statusCode: null,
      error: 'no response within 300 ms',
    });
    const [delivery] = (await h.webhooks.listDeliveries(h.admin, webhook.id, {}, {})).items;
    expect(delivery).toMatchObject({ status: 'PENDING', lastError: 'no response within 300 ms' });
  });

  it('bounds trickling receivers by the total deadline, whether they trickle headers or body', async () => {
    const h = await harness({ attemptTimeoutMs: 500, deadlineMs: 1_200 });
    // Headers one byte at a time, each within the idle timeout.
    const tcp: TcpServer = createTcpServer((socket) => {
      const text = 'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n'.repeat(20);
      let i = 0;
      const timer = setInterval(
        () => (i < text.length ? socket.write(text[i++]!) : clearInterval(timer)),
        100,
      );
      socket.on('close', () => clearInterval(timer));
      socket.on('error', () => clearInterval(timer));
    });
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
    defer(() => new Promise<void>((resolve) => tcp.close(() => resolve())));
    const port = (tcp.address() as { port: number }).port;

    let bodyClosedEarly = false;
    const r = await receiver((_req, res) => {
      // 200 at once, then a byte every 100 ms for a minute.
      res.writeHead(200, { 'content-type': 'text/plain' });
      let sent = 0;
      const timer = setInterval(() => {
        if (sent++ < 600) res.write('.');
        else {
          clearInterval(timer);
          res.end();
        }
      }, 100);
      res.on('close', () => {
        clearInterval(timer);
        bodyClosedEarly = sent < 600;
      });
    });

    const headers = await h.webhooks.create(h.admin, {
      url: `http://127.0.0.1:${port}/`,
      events: ['command.queued'],
    });
    await h.enqueue({ type: 'command.queued', data: {} });
    const [slowHeaders] = await h.delivery.deliverDue(10);
    expect(slowHeaders).toMatchObject({
      webhookId: headers.webhook.id,
      outcome: 'retrying',
      statusCode: null,
    });
    expect(slowHeaders!.error).toMatch(/no response within 500 ms|longer than 1200 ms/);
    expect(slowHeaders!.durationMs).toBeLessThan(10_000);

    await h.webhooks.update(h.admin, { id: headers.webhook.id, enabled: false });
    const body = await h.webhooks.create(h.admin, { url: r.origin, events: ['command.queued'] });
    await h.enqueue({ type: 'command.queued', data: {} });
    const [slowBody] = await h.delivery.deliverDue(10);
    // The status arrived, so the attempt counts; the trickle was cut at the deadline.
    expect(slowBody).toMatchObject({ webhookId: body.webhook.id, outcome: 'succeeded', statusCode: 200 });
    expect(slowBody!.durationMs).toBeLessThan(60_000);
    await expect.poll(() => bodyClosedEarly, { timeout: 5_000 }).toBe(true);
    const [delivery] = (await h.webhooks.listDeliveries(h.admin, body.webhook.id, {}, {})).items;
    const [attempt] = (await h.webhooks.listAttempts(h.admin, delivery!.id, {})).items;
    expect(attempt!.responseExcerpt).toMatch(/^\.+$/);
  });

  it('reads only an excerpt of a 50 MB response and drops the connection', async () => {
    const h = await harness();
    const total = 50 * 1024 * 1024;
    let written = 0;
    let finished = false;
    const r = await receiver(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(total) });
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      while (written < total && !res.destroyed) {
        written += chunk.length;
        if (!res.write(chunk)) {
          await new Promise<void>((resolve) => {
            const done = () => {
              res.off('drain', done);
              res.off('close', done);
              resolve();
            };
            res.on('drain', done);
            res.on('close', done);
          });
        }
      }
      finished = !res.destroyed;
      res.end();
    });
    const before = process.memoryUsage().arrayBuffers;
    const { webhook } = await h.webhooks.create(h.admin, { url: r.origin, events: ['command.queued'] });
    await h.enqueue({ type: 'command.queued', data: {} });
    const [report] = await h.delivery.deliverDue(10);
    expect(report).toMatchObject({ outcome: 'succeeded', statusCode: 200 });
    const [delivery] = (await h.webhooks.listDeliveries(h.admin, webhook.id, {}, {})).items;
    const [attempt] = (await h.webhooks.listAttempts(h.admin, delivery!.id, {})).items;
    expect(attempt!.responseExcerpt).toBe('a'.repeat(4096));
    await expect.poll(() => r.connections() > 0 && written > 0, { timeout: 5_000 }).toBe(true);
    // The receiver could push no more than socket buffers hold before rdev hung up.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(finished).toBe(false);
    expect(written).toBeLessThan(16 * 1024 * 1024);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(32 * 1024 * 1024);
  });

  it('blocks at connect time a host that resolved to a public address when saved and to loopback now', async () => {
    const dns = new Map([['hooks.rebind.example', '93.184.216.34']]);
    const h = await harness({
      allowPrivate: false,
      resolve: async (host) => {
        const address = dns.get(host);
        if (!address) throw Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' });
        return [{ address, family: 4 }];
      },
    });
    const r = await receiver();
    const { webhook } = await h.webhooks.create(h.admin, {
      url: `http://hooks.rebind.example:${r.port}/hook`,
      events: ['command.succeeded'],
    });
    dns.set('hooks.rebind.example', '127.0.0.1');
    await h.enqueue({ type: 'command.succeeded', data: {} });
    const [report] = await h.delivery.deliverDue(10);
    expect(report).toMatchObject({
      webhookId: webhook.id,
      outcome: 'retrying',
      statusCode: null,
      error: 'refused to connect to hooks.rebind.example: it resolves to 127.0.0.1, a loopback address',
    });
    expect(r.connections()).toBe(0);
    // Saving the URL now is refused as well.
    await expect(
      h.webhooks.update(h.admin, { id: webhook.id, url: `http://hooks.rebind.example:${r.port}/other` }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
