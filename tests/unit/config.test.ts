import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('loadConfig', () => {
  it('gives the documented defaults', () => {
    const config = loadConfig({}, '/srv');
    expect(config).toMatchObject({
      port: 4000,
      host: '127.0.0.1',
      runtime: 'local',
      database: { kind: 'pglite', dataDir: '/srv/.rdev/pglite' },
      workspacesDir: '/srv/workspaces',
      webhookAllowPrivate: false,
      trustedProxies: [],
    });
  });

  it('selects PostgreSQL by URL and the in-memory embedded database by memory://', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://u@h/db' }).database).toEqual({
      kind: 'postgres',
      url: 'postgres://u@h/db',
    });
    expect(loadConfig({ DATABASE_URL: 'memory://' }).database).toEqual({ kind: 'pglite', dataDir: null });
  });

  it('reports every problem at once, naming each variable', () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: 'abc',
        DATABASE_URL: 'nope',
        RDEV_RUNTIME: 'mars',
        RDEV_WEBHOOK_ALLOW_PRIVATE: 'maybe',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['PORT', 'DATABASE_URL', 'RDEV_RUNTIME', 'RDEV_WEBHOOK_ALLOW_PRIVATE']) {
      expect(problems).toContain(`${name}=`);
    }
    expect((error as ConfigError).problems).toHaveLength(4);
  });

  it('reads how often a command is tried to start, 5 times unless set', () => {
    expect(loadConfig({}).commands.maxStartAttempts).toBe(5);
    expect(loadConfig({ RDEV_MAX_START_ATTEMPTS: '2' }).commands.maxStartAttempts).toBe(2);
    expect(() => loadConfig({ RDEV_MAX_START_ATTEMPTS: '0' })).toThrow(
      /RDEV_MAX_START_ATTEMPTS="0": must be at least 1/,
    );
  });

  it('limits how long sending a request may take, the headers within the whole', () => {
    expect(loadConfig({}).http).toEqual({
      headersTimeoutMs: 20_000,
      requestTimeoutMs: 60_000,
      bodyIdleTimeoutMs: 10_000,
    });
    expect(() =>
      loadConfig({ RDEV_HTTP_HEADERS_TIMEOUT_MS: '30000', RDEV_HTTP_REQUEST_TIMEOUT_MS: '20000' }),
    ).toThrow(/RDEV_HTTP_HEADERS_TIMEOUT_MS="30000": must be at most RDEV_HTTP_REQUEST_TIMEOUT_MS \(20000\)/);
  });

  it('bounds numbers', () => {
    expect(() => loadConfig({ PORT: '70000' })).toThrow(/PORT="70000": must be at most 65535/);
  });

  it('refuses a default key rotation grace period above the maximum', () => {
    expect(() => loadConfig({ RDEV_KEY_ROTATION_GRACE_SECONDS: '700000' })).toThrow(
      /RDEV_KEY_ROTATION_GRACE_SECONDS="700000": must be at most RDEV_KEY_ROTATION_GRACE_MAX_SECONDS \(604800\)/,
    );
    expect(() =>
      loadConfig({ RDEV_KEY_ROTATION_GRACE_SECONDS: '60', RDEV_KEY_ROTATION_GRACE_MAX_SECONDS: '30' }),
    ).toThrow(ConfigError);
    expect(
      loadConfig({ RDEV_KEY_ROTATION_GRACE_SECONDS: '30', RDEV_KEY_ROTATION_GRACE_MAX_SECONDS: '30' }).auth,
    ).toMatchObject({ rotationGraceSeconds: 30, rotationGraceMaxSeconds: 30 });
  });

  it('refuses a default command timeout above the maximum', () => {
    expect(() =>
      loadConfig({ RDEV_COMMAND_TIMEOUT_DEFAULT_SECONDS: '7200', RDEV_COMMAND_TIMEOUT_MAX_SECONDS: '3600' }),
    ).toThrow(
      /RDEV_COMMAND_TIMEOUT_DEFAULT_SECONDS="7200": must be at most RDEV_COMMAND_TIMEOUT_MAX_SECONDS \(3600\)/,
    );
  });
});

describe('boolean variables', () => {
  it('take true/false, 1/0 and yes/no in any case', () => {
    for (const [text, value] of [
      ['TRUE', true],
      ['Yes', true],
      ['1', true],
      ['False', false],
      ['NO', false],
      ['0', false],
    ] as const) {
      expect(loadConfig({ RDEV_WEBHOOK_WORKER: text }).webhooks.worker, text).toBe(value);
    }
  });

  it('list every accepted word when refusing one', () => {
    expect(() => loadConfig({ RDEV_WEBHOOK_ALLOW_PRIVATE: 'on' })).toThrow(
      'RDEV_WEBHOOK_ALLOW_PRIVATE="on": must be one of true, false, 1, 0, yes, no (in any case)',
    );
  });
});

describe('unknown RDEV_ variables', () => {
  it('are named in warnings with the closest setting, and do not stop the start', () => {
    const config = loadConfig({
      RDEV_PORT: '5000',
      RDEV_LOGLEVEL: 'debug',
      RDEV_XYZZY_PLUGH: '1',
      RDEV_LOG_LEVEL: 'info',
      HOME: '/root',
    });
    expect(config.port).toBe(4000);
    expect(config.warnings).toEqual([
      'RDEV_LOGLEVEL is not a setting rdev reads (did you mean RDEV_LOG_LEVEL?); it is ignored',
      'RDEV_PORT is not a setting rdev reads (did you mean PORT?); it is ignored',
      'RDEV_XYZZY_PLUGH is not a setting rdev reads; it is ignored',
    ]);
  });

  it('leave alone the names the client examples use', () => {
    expect(loadConfig({ RDEV_URL: 'http://127.0.0.1:4000', RDEV_KEY: 'rdev_x' }).warnings).toEqual([]);
  });
});
