import { randomUUID } from 'node:crypto';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { describe, expect, it } from 'vitest';
import { findKey } from '../../src/cli-keys.js';
import type { ApiKey } from '../../src/domain/api-key.js';
import type { Command } from '../../src/domain/command.js';
import { commandJson, commandWebhookData } from '../../src/domain/command-json.js';
import { NotFoundError } from '../../src/domain/errors.js';
import { decodeId, encodeGlobalId, localId } from '../../src/domain/global-id.js';

const thrown = (fn: () => unknown): NotFoundError => {
  try {
    fn();
  } catch (error) {
    if (error instanceof NotFoundError) return error;
    throw error;
  }
  throw new Error('nothing was thrown');
};

describe('global ids and plain UUIDs', () => {
  it('encodes and decodes as the GraphQL layer does', () => {
    const id = randomUUID();
    for (const type of ['Command', 'ApiKey', 'Webhook', 'WebhookDelivery']) {
      expect(encodeGlobalId(type, id)).toBe(encodeGlobalID(type, id));
      expect(decodeId(encodeGlobalID(type, id))).toEqual({ typename: type, id });
    }
    expect(decodeId(encodeGlobalID('ClaudeConfigItem', 'demo:AGENT:a:b'))).toEqual({
      typename: 'ClaudeConfigItem',
      id: 'demo:AGENT:a:b',
    });
    for (const bad of ['', 'abc', id, encodeGlobalID('Command', 'not-a-uuid'), encodeGlobalId('1x', id)]) {
      expect(decodeId(bad), bad).toBeNull();
    }
  });

  it('takes a global id or a plain UUID of the expected type, in any case', () => {
    const id = randomUUID();
    expect(localId(encodeGlobalId('Command', id), 'Command')).toBe(id);
    expect(localId(id, 'Command')).toBe(id);
    expect(localId(id.toUpperCase(), 'ApiKey')).toBe(id);
    // Project ids are names, not UUIDs: a bare name is not a global id.
    expect(thrown(() => localId('demo', 'Project')).code).toBe('NOT_FOUND');
  });

  it('says which type was expected when an id names another', () => {
    const id = randomUUID();
    const other = thrown(() => localId(encodeGlobalId('Command', id), 'ApiKey'));
    expect(other.message).toBe(
      `ApiKey "${encodeGlobalId('Command', id)}" was not found: it is the id of a command, and an API key id is expected.`,
    );
    const garbage = thrown(() => localId('x\u0000y', 'Webhook'));
    expect(garbage.message).toBe(
      'Webhook "x\\u0000y" was not found: expected a webhook global id or its plain UUID.',
    );
  });

  it('puts the global id next to the plain one in command JSON and webhook data', () => {
    const id = randomUUID();
    const command = {
      id,
      projectName: 'demo',
      type: 'SHELL',
      status: 'SUCCEEDED',
      priority: 50,
      argv: ['true'],
      prompt: null,
      cwd: null,
      envNames: [],
      timeoutSeconds: 60,
      idempotencyKey: null,
      requestedByKeyId: null,
      createdAt: new Date(0),
      startedAt: null,
      finishedAt: null,
      exitCode: 0,
      signal: null,
      error: null,
      claude: null,
      claudeSession: null,
      cancelRequestedAt: null,
      lastSeq: 0,
      outputTruncated: false,
      openStdin: false,
      inputEof: false,
    } satisfies Command;
    expect(commandWebhookData(command)).toMatchObject({ id, globalId: encodeGlobalID('Command', id) });
    expect(commandJson(command, null)).toMatchObject({ id, globalId: encodeGlobalID('Command', id) });
  });

  it('lets `rdev keys revoke` take a key by its global id as well', () => {
    const key = (id: string, prefix: string) => ({ id, prefix }) as ApiKey;
    const keys = [key(randomUUID(), 'rdev_AbC1…'), key(randomUUID(), 'rdev_XyZ9…')];
    expect(findKey(keys, encodeGlobalId('ApiKey', keys[1]!.id))).toBe(keys[1]);
    expect(findKey(keys, keys[0]!.id.toUpperCase())).toBe(keys[0]);
    expect(findKey(keys, 'rdev_XyZ')).toBe(keys[1]);
    expect(() => findKey(keys, encodeGlobalId('Command', keys[0]!.id))).toThrow(/no active key/);
  });
});
