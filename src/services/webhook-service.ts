import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { auditActor } from '../domain/audit.js';
import { requireScope } from '../domain/authorization.js';
import type { Clock } from '../domain/clock.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../domain/errors.js';
import { encodeGlobalId } from '../domain/global-id.js';
import { DEFAULT_PAGE_SIZE, type Page, type PageRequest } from '../domain/page.js';
import type { Principal } from '../domain/principal.js';
import {
  WEBHOOK_DELIVERY_STATUSES,
  type Webhook,
  type WebhookAttempt,
  type WebhookDelivery,
  type WebhookDeliveryStatus,
} from '../domain/webhook.js';
import { generateWebhookSecret } from '../domain/webhook-secret.js';
import { type SecretBox, SecretBoxError } from '../ports/secret-box.js';
import type { UnitOfWork } from '../ports/unit-of-work.js';
import type { WebhookDeliveryStore } from '../ports/webhook-delivery-store.js';
import type { WebhookStore } from '../ports/webhook-store.js';
import type { WebhookTargetGuard } from '../ports/webhook-target-guard.js';
import { parseInput } from './validation.js';
import {
  type CreateWebhookInput,
  createSchema,
  DEFAULT_SECRET_OVERLAP_SECONDS,
  overlapSchema,
  type UpdateWebhookInput,
  updateSchema,
} from './webhook-inputs.js';

export interface WebhookServiceDeps {
  unitOfWork: UnitOfWork;
  /** Reads outside a unit of work. */
  webhooks: WebhookStore;
  deliveries: WebhookDeliveryStore;
  targetGuard: WebhookTargetGuard;
  clock: Clock;
  /** Seals each new signing secret before it is stored. */
  secretBox: SecretBox;
}

/**
 * Managing webhooks (scope `webhooks:manage`). A project-limited key manages only webhooks
 * filtered to projects it holds, so it cannot subscribe to other projects' events. Every change
 * writes an audit row in its own transaction; secrets and URL paths (which often carry tokens)
 * never reach the audit log.
 */
export class WebhookService {
  constructor(private readonly deps: WebhookServiceDeps) {}

  async create(
    caller: Principal | null,
    input: CreateWebhookInput,
  ): Promise<{ webhook: Webhook; secret: string }> {
    requireScope(caller, 'webhooks:manage');
    const data = parseInput(createSchema, input);
    assertProjectsWithinCaller(caller, data.projectNames);
    await this.checkUrl(data.url);
    const secret = generateWebhookSecret();
    const now = this.deps.clock();
    const webhook = await this.deps.unitOfWork.run(async ({ webhookStore, audit }) => {
      const created = await webhookStore.create(
        { id: randomUUID(), ...data, createdByKeyId: caller.kind === 'key' ? caller.keyId : null },
        this.deps.secretBox.seal(secret),
        now,
      );
      await audit.record({
        ...auditActor(caller),
        action: 'webhook.create',
        targetType: 'Webhook',
        targetId: created.id,
        outcome: 'SUCCESS',
        details: {
          urlOrigin: new URL(created.url).origin,
          events: created.events,
          projectNames: created.projectNames,
          sendTraceContext: created.sendTraceContext,
        },
      });
      return created;
    });
    return { webhook, secret };
  }

  async update(caller: Principal | null, input: UpdateWebhookInput): Promise<Webhook> {
    requireScope(caller, 'webhooks:manage');
    const { id, ...patch } = parseInput(updateSchema, input);
    await this.getManageable(caller, id);
    if (patch.projectNames !== undefined) assertProjectsWithinCaller(caller, patch.projectNames);
    if (patch.url !== undefined) await this.checkUrl(patch.url);
    return this.deps.unitOfWork.run(async ({ webhookStore, audit }) => {
      const updated = await webhookStore.update(id, patch, this.deps.clock());
      if (!updated) throw new NotFoundError('Webhook', id);
      await audit.record({
        ...auditActor(caller),
        action: 'webhook.update',
        targetType: 'Webhook',
        targetId: id,
        outcome: 'SUCCESS',
        details: {
          changed: Object.keys(patch),
          ...(patch.url !== undefined ? { urlOrigin: new URL(updated.url).origin } : {}),
          ...(patch.events !== undefined ? { events: updated.events } : {}),
          ...(patch.projectNames !== undefined ? { projectNames: updated.projectNames } : {}),
          ...(patch.enabled !== undefined ? { enabled: updated.enabled } : {}),
          ...(patch.sendTraceContext !== undefined ? { sendTraceContext: updated.sendTraceContext } : {}),
        },
      });
      return updated;
    });
  }

  async delete(caller: Principal | null, id: string): Promise<{ deletedId: string }> {
    requireScope(caller, 'webhooks:manage');
    const current = await this.getManageable(caller, id);
    await this.deps.unitOfWork.run(async ({ webhookStore, audit }) => {
      if (!(await webhookStore.delete(current.id))) throw new NotFoundError('Webhook', id);
      await audit.record({
        ...auditActor(caller),
        action: 'webhook.delete',
        targetType: 'Webhook',
        targetId: current.id,
        outcome: 'SUCCESS',
        details: { urlOrigin: new URL(current.url).origin },
      });
    });
    return { deletedId: current.id };
  }

  /** A new secret; the previous ones keep signing (both signatures are sent) for the overlap. */
  async rotateSecret(
    caller: Principal | null,
    input: { id: string; overlapSeconds?: number | null },
  ): Promise<{ webhook: Webhook; secret: string }> {
    requireScope(caller, 'webhooks:manage');
    const overlap = parseInput(z.object({ overlapSeconds: overlapSchema }), {
      overlapSeconds: input.overlapSeconds ?? DEFAULT_SECRET_OVERLAP_SECONDS,
    }).overlapSeconds;
    const current = await this.getManageable(caller, input.id);
    const secret = generateWebhookSecret();
    const now = this.deps.clock();
    const previousExpireAt = new Date(now.getTime() + overlap * 1000);
    const webhook = await this.deps.unitOfWork.run(async ({ webhookStore, audit }) => {
      const rotated = await webhookStore.rotateSecret(
        current.id,
        this.deps.secretBox.seal(secret),
        now,
        previousExpireAt,
      );
      if (!rotated) throw new NotFoundError('Webhook', input.id);
      await audit.record({
        ...auditActor(caller),
        action: 'webhook.rotate_secret',
        targetType: 'Webhook',
        targetId: current.id,
        outcome: 'SUCCESS',
        details: { overlapSeconds: overlap, previousSecretExpiresAt: previousExpireAt },
      });
      return rotated;
    });
    return { webhook, secret };
  }

  /**
   * Seals again, with the current key, every stored signing secret that is not sealed with it: a
   * secret kept in clear before a key was set, or sealed with the key being replaced. Run by each
   * replica as it starts; replicas racing over one secret store it once. A secret no configured
   * key opens is left as it is and counted: its deliveries fail, saying why, until it is rotated.
   */
  async resealSecrets(): Promise<{ resealed: number; unreadable: number }> {
    const { secretBox, webhooks } = this.deps;
    let resealed = 0;
    let unreadable = 0;
    for (const { id, secret } of await webhooks.storedSecrets()) {
      if (secretBox.isCurrent(secret)) continue;
      let clear: string;
      try {
        clear = secretBox.open(secret);
      } catch (error) {
        if (!(error instanceof SecretBoxError)) throw error;
        unreadable++;
        continue;
      }
      if (await webhooks.replaceStoredSecret(id, secret, secretBox.seal(clear))) resealed++;
    }
    return { resealed, unreadable };
  }

  /** Queues a `webhook.ping` to this webhook alone, whatever it subscribed to. */
  async ping(caller: Principal | null, id: string): Promise<WebhookDelivery> {
    requireScope(caller, 'webhooks:manage');
    const current = await this.getManageable(caller, id);
    assertEnabled(current);
    return this.deps.unitOfWork.run(async ({ webhooks, audit }) => {
      const delivery = await webhooks.enqueueFor(current.id, {
        type: 'webhook.ping',
        data: { webhookId: current.id, webhookGlobalId: encodeGlobalId('Webhook', current.id) },
      });
      await audit.record({
        ...auditActor(caller),
        action: 'webhook.ping',
        targetType: 'Webhook',
        targetId: current.id,
        outcome: 'SUCCESS',
        details: { deliveryId: delivery.id, messageId: delivery.messageId },
      });
      return delivery;
    });
  }

  /** Sends a delivery again (one manual attempt) with its original message id and body. */
  async redeliver(caller: Principal | null, deliveryId: string): Promise<WebhookDelivery> {
    requireScope(caller, 'webhooks:manage');
    const delivery = await this.getDelivery(caller, deliveryId);
    if (!delivery) throw new NotFoundError('WebhookDelivery', deliveryId);
    assertEnabled(await this.getManageable(caller, delivery.webhookId));
    return this.deps.unitOfWork.run(async ({ webhookDeliveries, audit }) => {
      const requested = await webhookDeliveries.requestRedelivery(delivery.id, this.deps.clock());
      if (requested === null) throw new NotFoundError('WebhookDelivery', deliveryId);
      if (requested === 'in_flight') {
        throw new ConflictError(
          'An attempt of this delivery is in progress; try again when it has finished.',
        );
      }
      await audit.record({
        ...auditActor(caller),
        action: 'webhook_delivery.redeliver',
        targetType: 'WebhookDelivery',
        targetId: delivery.id,
        outcome: 'SUCCESS',
        details: { webhookId: delivery.webhookId, messageId: delivery.messageId },
      });
      return requested;
    });
  }

  async list(caller: Principal | null, page: Partial<PageRequest>): Promise<Page<Webhook>> {
    requireScope(caller, 'webhooks:manage');
    return this.deps.webhooks.list(
      { withinProjects: caller.kind === 'key' ? caller.projectNames : null },
      { first: page.first ?? DEFAULT_PAGE_SIZE, after: page.after },
    );
  }

  /** A webhook the caller may manage, or `null`. */
  async get(caller: Principal | null, id: string): Promise<Webhook | null> {
    requireScope(caller, 'webhooks:manage');
    const webhook = await this.deps.webhooks.get(id);
    return webhook && manageable(caller, webhook) ? webhook : null;
  }

  async listDeliveries(
    caller: Principal | null,
    webhookId: string,
    filter: { status?: WebhookDeliveryStatus | null },
    page: Partial<PageRequest>,
  ): Promise<Page<WebhookDelivery>> {
    requireScope(caller, 'webhooks:manage');
    const status = filter.status ?? undefined;
    if (status !== undefined && !WEBHOOK_DELIVERY_STATUSES.includes(status)) {
      throw new ValidationError([{ path: 'filter.status', message: 'is not a delivery status' }]);
    }
    await this.getManageable(caller, webhookId);
    return this.deps.deliveries.listForWebhook(
      webhookId,
      { status },
      { first: page.first ?? DEFAULT_PAGE_SIZE, after: page.after },
    );
  }

  /** A delivery of a webhook the caller may manage, or `null`. */
  async getDelivery(caller: Principal | null, id: string): Promise<WebhookDelivery | null> {
    requireScope(caller, 'webhooks:manage');
    const delivery = await this.deps.deliveries.get(id);
    if (!delivery) return null;
    return (await this.get(caller, delivery.webhookId)) ? delivery : null;
  }

  async listAttempts(
    caller: Principal | null,
    deliveryId: string,
    page: Partial<PageRequest>,
  ): Promise<Page<WebhookAttempt>> {
    requireScope(caller, 'webhooks:manage');
    if (!(await this.getDelivery(caller, deliveryId))) throw new NotFoundError('WebhookDelivery', deliveryId);
    return this.deps.deliveries.listAttempts(deliveryId, {
      first: page.first ?? DEFAULT_PAGE_SIZE,
      after: page.after,
    });
  }

  private async getManageable(caller: Principal, id: string): Promise<Webhook> {
    const webhook = await this.deps.webhooks.get(id);
    // A webhook the caller may not manage is reported as missing, so its existence stays private.
    if (!webhook || !manageable(caller, webhook)) throw new NotFoundError('Webhook', id);
    return webhook;
  }

  private async checkUrl(url: string): Promise<void> {
    const problem = await this.deps.targetGuard.check(url);
    if (problem !== null) throw new ValidationError([{ path: 'url', message: problem }]);
  }
}

function manageable(caller: Principal, webhook: Webhook): boolean {
  if (caller.kind === 'system' || caller.projectNames === null) return true;
  const granted = caller.projectNames;
  return webhook.projectNames?.every((p) => granted.includes(p)) ?? false;
}

function assertProjectsWithinCaller(caller: Principal, projectNames: string[] | null): void {
  if (caller.kind === 'system' || caller.projectNames === null) return;
  if (projectNames === null) {
    throw new ForbiddenError(
      'A project-limited key may only manage webhooks filtered to its own projects: set projectNames.',
    );
  }
  const granted = caller.projectNames;
  const outside = projectNames.filter((p) => !granted.includes(p));
  if (outside.length > 0) {
    throw new ForbiddenError(`This key may not subscribe to events of: ${outside.join(', ')}.`);
  }
}

function assertEnabled(webhook: Webhook): void {
  if (!webhook.enabled) {
    throw new ValidationError([
      { path: 'id', message: 'the webhook is disabled: enable it (updateWebhook with enabled: true) first' },
    ]);
  }
}
