import { Writable } from 'node:stream';
import { afterAll } from 'vitest';
import type { DatabaseKind } from '../../src/adapters/postgres/database.js';
import { type App, type AppOverrides, createApp } from '../../src/app.js';
import { type Config, loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/observability/logger.js';
import { createTestDatabase, type TestDatabase } from './test-databases.js';

export interface TestApp {
  app: App;
  /** Base URL (`http://127.0.0.1:PORT`) once started. */
  url: string;
  database: TestDatabase;
  /** The admin key generated at first start of the fresh database. */
  adminKey: string;
  /** Creates a key through the API with the admin key; returns its text and global id. */
  createKey(input: {
    scopes: string[];
    projectNames?: string[];
    allowedIps?: string[];
    expiresAt?: string;
    name?: string;
  }): Promise<{ key: string; id: string }>;
  /** `{ authorization: 'Bearer <key>' }` */
  auth(key?: string): Record<string, string>;
  /** Every log line the app wrote, parsed. */
  logs: string[];
  /** POSTs a GraphQL operation with the given headers and returns the parsed body and response. */
  graphql<T = any>(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: { data?: T; errors?: any }; headers: Headers }>;
  /**
   * The same as `graphql`, through `yoga.fetch`: no socket, but the same plugins, authentication
   * included. `clientIp` is the address the request is taken to come from (default 127.0.0.1).
   */
  yoga<T = any>(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
    clientIp?: string,
  ): Promise<{ status: number; body: { data?: T; errors?: any }; headers: Headers }>;
  close(): Promise<void>;
}

/** Builds a real app on a fresh database of `kind`, listening on port 0. */
export async function startTestApp(
  kind: DatabaseKind,
  env: Record<string, string> = {},
  overrides: AppOverrides = {},
): Promise<TestApp> {
  const database = await createTestDatabase(kind);
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  const config: Config = loadConfig({
    PORT: '0',
    // Tests poll hard; rate limits are tested on their own with low limits set explicitly.
    RDEV_RATE_LIMIT_PER_KEY: '10000000',
    RDEV_RATE_LIMIT_ANONYMOUS: '10000000',
    RDEV_LOG_LEVEL: 'debug',
    NODE_ENV: 'test',
    ...env,
  });
  const app = await createApp(config, {
    database,
    logger: createLogger({ level: 'debug', destination }),
    ...overrides,
  });
  const { url } = await app.start();
  const adminKey = app.bootstrapAdminKey;
  if (!adminKey) throw new Error('a fresh test database should have produced a bootstrap admin key');
  const t: TestApp = {
    app,
    url,
    database,
    logs,
    adminKey,
    auth: (key = adminKey) => ({ authorization: `Bearer ${key}` }),
    async createKey(input) {
      const { body } = await t.graphql(
        `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) {
          __typename ... on CreateApiKeyPayload { secret apiKey { id } } ... on Error { code message } } }`,
        { input: { name: input.name ?? 'test key', ...input } },
        t.auth(),
      );
      const result = body.data?.createApiKey;
      if (result?.__typename !== 'CreateApiKeyPayload')
        throw new Error(`createApiKey failed: ${JSON.stringify(body)}`);
      return { key: result.secret, id: result.apiKey.id };
    },
    async graphql(query, variables, headers = {}) {
      const res = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
        body: JSON.stringify({ query, variables }),
      });
      return { status: res.status, body: (await res.json()) as any, headers: res.headers };
    },
    async yoga(query, variables, headers = {}, clientIp = '127.0.0.1') {
      const res = await app.yoga.fetch(
        'http://localhost/graphql',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
          body: JSON.stringify({ query, variables }),
        },
        { clientIp, requestId: `test-${Math.random().toString(36).slice(2)}`, principal: null },
      );
      return { status: res.status, body: (await res.json()) as any, headers: res.headers };
    },
    async close() {
      await app.stop();
      await database.dispose();
    },
  };
  return t;
}

/**
 * Apps shared by the tests of a `describe` that neither count nor list what other tests create:
 * one per distinct settings, started on first use and closed after the last test. Starting an app
 * on a new database is most of what such a test costs.
 */
export function useSharedTestApps(kind: DatabaseKind): {
  get(env?: Record<string, string>): Promise<TestApp>;
  /** Whether `t` is one of the shared apps (which the test must not close). */
  has(t: TestApp | undefined): boolean;
} {
  const apps = new Map<string, Promise<TestApp>>();
  const started = new Set<TestApp>();
  afterAll(async () => {
    for (const app of apps.values()) await (await app).close();
    apps.clear();
    started.clear();
  });
  return {
    get(env = {}) {
      const key = JSON.stringify(Object.entries(env).sort());
      let app = apps.get(key);
      if (!app) {
        app = startTestApp(kind, env).then((t) => {
          started.add(t);
          return t;
        });
        apps.set(key, app);
      }
      return app;
    },
    has: (t) => t !== undefined && started.has(t),
  };
}
