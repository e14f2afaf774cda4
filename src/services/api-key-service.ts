import { z } from 'zod';
import type { ApiKey } from '../domain/api-key.js';
import { displayPrefix, generateKeyText, isWellFormedKeyText, keyDigest } from '../domain/api-key-text.js';
import { auditActor } from '../domain/audit.js';
import { requireScope } from '../domain/authorization.js';
import type { Clock } from '../domain/clock.js';
import { ForbiddenError, NotFoundError, ValidationError } from '../domain/errors.js';
import { isValidCidr, rangeWithin } from '../domain/ip-ranges.js';
import { DEFAULT_PAGE_SIZE, type Page, type PageRequest } from '../domain/page.js';
import { type Principal, systemPrincipal } from '../domain/principal.js';
import { hasScope, SCOPES, type Scope } from '../domain/scopes.js';
import type { ApiKeyStore } from '../ports/api-key-store.js';
import type { UnitOfWork } from '../ports/unit-of-work.js';
import { parseInput } from './validation.js';

const projectName = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'must be a project name');
const fields = {
  name: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
  scopes: z.array(z.enum(SCOPES)).min(1, 'must hold at least one scope').max(SCOPES.length),
  projectNames: z.array(projectName).max(100).nullable(),
  allowedIps: z.array(z.string().refine(isValidCidr, 'must be an IP address or CIDR range')).max(50),
  expiresAt: z.date().nullable(),
  rateLimit: z.number().int().min(1).max(1_000_000).nullable(),
};
const createSchema = z.object({
  name: fields.name,
  scopes: fields.scopes,
  projectNames: fields.projectNames.optional().default(null),
  allowedIps: fields.allowedIps.optional().default([]),
  expiresAt: fields.expiresAt.optional().default(null),
  rateLimit: fields.rateLimit.optional().default(null),
});
const updateSchema = z.object({
  id: z.string(),
  name: fields.name.optional(),
  scopes: fields.scopes.optional(),
  projectNames: fields.projectNames.optional(),
  allowedIps: fields.allowedIps.optional(),
  expiresAt: fields.expiresAt.optional(),
  rateLimit: fields.rateLimit.optional(),
});

export type CreateApiKeyInput = z.input<typeof createSchema>;
export type UpdateApiKeyInput = z.input<typeof updateSchema>;

export interface ApiKeyServiceDeps {
  store: ApiKeyStore;
  unitOfWork: UnitOfWork;
  clock: Clock;
  /** Rotation grace period when none is asked for, and the longest allowed. */
  rotationGraceDefaultSeconds: number;
  rotationGraceMaxSeconds: number;
  /** Rate limit of a key without its own (`RDEV_RATE_LIMIT_PER_KEY`): what `rateLimit: null` means. */
  defaultRateLimit: number;
  /** Told after a change so this replica's authentication cache forgets the key at once. */
  onKeyChanged(keyId: string): void;
}

/**
 * What a key may hand out: never more scopes, projects, addresses or rate limit than it holds, and
 * never a key that outlives it (else an expiring key could mint itself a permanent one).
 * `defaultRateLimit` is what a `rateLimit` of `null` stands for.
 */
function assertWithinCaller(
  caller: Principal,
  key: {
    scopes: Scope[];
    projectNames: string[] | null;
    allowedIps: string[];
    expiresAt: Date | null;
    rateLimit: number | null;
  },
  defaultRateLimit: number,
) {
  if (caller.kind === 'system' || caller.scopes.has('admin')) return;
  const extra = key.scopes.filter((s) => !hasScope(caller.scopes, s) || s === 'admin');
  if (extra.length > 0)
    throw new ForbiddenError(`A key may not grant scopes it does not hold: ${extra.join(', ')}.`);
  if (caller.projectNames !== null) {
    if (key.projectNames === null) {
      throw new ForbiddenError('A project-limited key may only create keys limited to its own projects.');
    }
    const outside = key.projectNames.filter((p) => !caller.projectNames!.includes(p));
    if (outside.length > 0)
      throw new ForbiddenError(`A key may not grant projects it does not hold: ${outside.join(', ')}.`);
  }
  if (caller.allowedIps.length > 0) {
    if (key.allowedIps.length === 0) {
      throw new ForbiddenError(
        'An IP-limited key may only create keys limited to addresses inside its own ranges.',
      );
    }
    const outside = key.allowedIps.filter((r) => !caller.allowedIps.some((own) => rangeWithin(r, own)));
    if (outside.length > 0)
      throw new ForbiddenError(`A key may not grant address ranges outside its own: ${outside.join(', ')}.`);
  }
  if (caller.expiresAt !== null && (key.expiresAt === null || key.expiresAt > caller.expiresAt)) {
    throw new ForbiddenError(
      `A key that expires may only create or change keys to expire no later than itself (set expiresAt to ${caller.expiresAt.toISOString()} or earlier).`,
    );
  }
  const own = caller.rateLimit ?? defaultRateLimit;
  if ((key.rateLimit ?? defaultRateLimit) > own) {
    throw new ForbiddenError(
      `A key may not grant a rate limit above its own (set rateLimit to ${own} or lower).`,
    );
  }
}

export class ApiKeyService {
  constructor(private readonly deps: ApiKeyServiceDeps) {}

  async create(
    caller: Principal | null,
    input: CreateApiKeyInput,
  ): Promise<{ apiKey: ApiKey; secret: string }> {
    requireScope(caller, 'keys:manage');
    const data = parseInput(createSchema, input);
    if (data.expiresAt && data.expiresAt <= this.deps.clock()) {
      throw new ValidationError([{ path: 'expiresAt', message: 'must be in the future' }]);
    }
    assertWithinCaller(caller, data, this.deps.defaultRateLimit);
    const secret = generateKeyText();
    const apiKey = await this.deps.unitOfWork.run(async ({ apiKeys, audit }) => {
      const key = await apiKeys.create({
        ...data,
        createdByKeyId: caller.kind === 'key' ? caller.keyId : null,
        digest: keyDigest(secret),
        prefix: displayPrefix(secret),
      });
      await audit.record({
        ...auditActor(caller),
        action: 'api_key.create',
        targetType: 'ApiKey',
        targetId: key.id,
        outcome: 'SUCCESS',
        details: {
          name: key.name,
          scopes: key.scopes,
          projectNames: key.projectNames,
          allowedIps: key.allowedIps,
          expiresAt: key.expiresAt,
        },
      });
      return key;
    });
    return { apiKey, secret };
  }

  async update(caller: Principal | null, input: UpdateApiKeyInput): Promise<ApiKey> {
    requireScope(caller, 'keys:manage');
    const data = parseInput(updateSchema, input);
    await this.assertNotRotatedOut(caller, data.id, 'change');
    const current = await this.getManageable(caller, data.id);
    const next = {
      scopes: data.scopes ?? current.scopes,
      projectNames: data.projectNames !== undefined ? data.projectNames : current.projectNames,
      allowedIps: data.allowedIps ?? current.allowedIps,
      expiresAt: data.expiresAt !== undefined ? data.expiresAt : current.expiresAt,
      rateLimit: data.rateLimit !== undefined ? data.rateLimit : current.rateLimit,
    };
    assertWithinCaller(caller, next, this.deps.defaultRateLimit);
    const { id, ...patch } = data;
    const key = await this.deps.unitOfWork.run(async ({ apiKeys, audit }) => {
      const updated = await apiKeys.update(id, patch);
      await audit.record({
        ...auditActor(caller),
        action: 'api_key.update',
        targetType: 'ApiKey',
        targetId: id,
        outcome: 'SUCCESS',
        details: { changed: Object.keys(patch), ...patch },
      });
      return updated;
    });
    this.deps.onKeyChanged(id);
    return key;
  }

  async rotate(
    caller: Principal | null,
    input: { id: string; gracePeriodSeconds?: number | null },
  ): Promise<{ apiKey: ApiKey; secret: string }> {
    requireScope(caller, 'keys:manage');
    const max = this.deps.rotationGraceMaxSeconds;
    // Only what the caller sent is checked here, so an issue names its field; the configured
    // default is checked against the maximum when the configuration is loaded.
    const asked = parseInput(
      z.object({
        gracePeriodSeconds: z
          .number()
          .int()
          .min(0, 'must not be negative')
          .max(max, `must be at most ${max} seconds`)
          .nullish(),
      }),
      { gracePeriodSeconds: input.gracePeriodSeconds },
    );
    const grace = asked.gracePeriodSeconds ?? this.deps.rotationGraceDefaultSeconds;
    await this.assertNotRotatedOut(caller, input.id, 'rotate');
    const current = await this.getManageable(caller, input.id);
    if (current.revokedAt)
      throw new ValidationError([{ path: 'id', message: 'a revoked key cannot be rotated' }]);
    const secret = generateKeyText();
    const oldExpireAt = new Date(this.deps.clock().getTime() + grace * 1000);
    const apiKey = await this.deps.unitOfWork.run(async ({ apiKeys, audit }) => {
      const key = await apiKeys.rotate(
        current.id,
        { digest: keyDigest(secret), prefix: displayPrefix(secret) },
        oldExpireAt,
      );
      await audit.record({
        ...auditActor(caller),
        action: 'api_key.rotate',
        targetType: 'ApiKey',
        targetId: key.id,
        outcome: 'SUCCESS',
        details: { gracePeriodSeconds: grace, oldSecretExpiresAt: oldExpireAt },
      });
      return key;
    });
    this.deps.onKeyChanged(current.id);
    return { apiKey, secret };
  }

  async revoke(caller: Principal | null, id: string): Promise<ApiKey> {
    requireScope(caller, 'keys:manage');
    await this.assertNotRotatedOut(caller, id, 'revoke');
    const current = await this.getManageable(caller, id);
    const key = await this.deps.unitOfWork.run(async ({ apiKeys, audit }) => {
      const revoked = await apiKeys.revoke(current.id, this.deps.clock());
      await audit.record({
        ...auditActor(caller),
        action: 'api_key.revoke',
        targetType: 'ApiKey',
        targetId: revoked.id,
        outcome: 'SUCCESS',
        details: { name: revoked.name },
      });
      return revoked;
    });
    this.deps.onKeyChanged(id);
    return key;
  }

  /** Keys the caller may manage (an admin: all; another `keys:manage` key: those within its own bounds). */
  async list(
    caller: Principal | null,
    options: { includeRevoked?: boolean | null },
    page: Partial<PageRequest>,
  ): Promise<Page<ApiKey>> {
    requireScope(caller, 'keys:manage');
    const first = page.first ?? DEFAULT_PAGE_SIZE;
    const result = await this.deps.store.list(
      { includeRevoked: options.includeRevoked ?? false },
      { first, after: page.after },
    );
    const visible = result.items
      .map((k, i) => [k, result.cursors[i]!] as const)
      .filter(([k]) => this.manageable(caller, k));
    return {
      items: visible.map(([k]) => k),
      cursors: visible.map(([, c]) => c),
      hasNextPage: result.hasNextPage,
    };
  }

  /** A key by id, for `node` and the like: the caller's own key, or one it may manage. */
  async get(caller: Principal | null, id: string): Promise<ApiKey | null> {
    if (caller?.kind === 'key' && caller.keyId === id) return this.deps.store.get(id);
    requireScope(caller, 'keys:manage');
    const key = await this.deps.store.get(id);
    return key && this.manageable(caller, key) ? key : null;
  }

  /** The caller's own key (`viewer`). */
  async self(caller: Principal | null): Promise<ApiKey> {
    if (caller?.kind !== 'key') throw new ForbiddenError('Only API keys have a viewer.');
    const key = await this.deps.store.get(caller.keyId);
    if (!key) throw new NotFoundError('ApiKey', caller.keyId);
    return key;
  }

  /**
   * First start on an empty database: stores `presetKeyText` as an admin key, or generates one.
   * Returns the key text when one was generated (to print once), `null` otherwise.
   */
  async bootstrap(presetKeyText: string | null): Promise<{ generated: string | null; created: boolean }> {
    if (presetKeyText !== null && !isWellFormedKeyText(presetKeyText)) {
      throw new ValidationError([
        {
          path: 'RDEV_BOOTSTRAP_ADMIN_KEY',
          message: 'is not a well-formed rdev key (generate one with `rdev keys generate`)',
        },
      ]);
    }
    return this.deps.unitOfWork.run(async ({ apiKeys, audit }) => {
      await apiKeys.lockBootstrap();
      if ((await apiKeys.count()) > 0) return { generated: null, created: false };
      const secret = presetKeyText ?? generateKeyText();
      const key = await apiKeys.create({
        name: 'bootstrap admin',
        scopes: ['admin'],
        projectNames: null,
        allowedIps: [],
        expiresAt: null,
        rateLimit: null,
        createdByKeyId: null,
        digest: keyDigest(secret),
        prefix: displayPrefix(secret),
      });
      await audit.record({
        ...auditActor(systemPrincipal('bootstrap')),
        action: 'api_key.create',
        targetType: 'ApiKey',
        targetId: key.id,
        outcome: 'SUCCESS',
        details: { name: key.name, scopes: key.scopes, bootstrap: true, preset: presetKeyText !== null },
      });
      return { generated: presetKeyText === null ? secret : null, created: true };
    });
  }

  private async getManageable(caller: Principal, id: string): Promise<ApiKey> {
    const key = await this.deps.store.get(id);
    if (!key || !this.manageable(caller, key)) throw new NotFoundError('ApiKey', id);
    return key;
  }

  /**
   * A secret in its grace period may use its key but not manage it: rotating with no grace would
   * shut out the holder of the newest secret, and revoking or changing the key would do the same.
   * Read from the store rather than the caller's (possibly cached) principal, so a rotation made a
   * moment ago on another replica counts.
   */
  private async assertNotRotatedOut(
    caller: Principal,
    keyId: string,
    action: 'rotate' | 'revoke' | 'change',
  ): Promise<void> {
    if (caller.kind !== 'key' || caller.keyId !== keyId) return;
    const credential = await this.deps.store.findCredential(caller.credentialId);
    if (credential?.key.id === keyId && credential.secretExpiresAt === null) return;
    throw new ForbiddenError(
      `This secret was replaced by a rotation and only works until its grace period ends: it cannot ${action} its own key. Use the newest secret.`,
    );
  }

  private manageable(caller: Principal, key: ApiKey): boolean {
    try {
      assertWithinCaller(caller, key, this.deps.defaultRateLimit);
      return true;
    } catch {
      return false;
    }
  }
}
