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
