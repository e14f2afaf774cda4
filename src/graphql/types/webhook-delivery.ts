import { ConflictError, DomainError, NotFoundError, ValidationError } from '../../domain/errors.js';
import {
  WEBHOOK_DELIVERY_STATUSES,
  type WebhookAttempt,
  type WebhookDelivery,
} from '../../domain/webhook.js';
import { builder } from '../builder.js';
import { pageArgs, toConnection } from '../connection.js';
import { localId } from '../global-id.js';
import { WebhookRef } from './webhook.js';
import { WebhookEventTypeEnum } from './webhook-event-type.js';

const WebhookDeliveryStatusEnum = builder.enumType('WebhookDeliveryStatus', {
  description: 'PENDING until an attempt succeeds (SUCCEEDED) or rdev gives up (FAILED).',
  values: WEBHOOK_DELIVERY_STATUSES,
});

const WebhookAttemptRef = builder.objectRef<WebhookAttempt>('WebhookAttempt').implement({
  description: 'One HTTP request of a delivery.',
  fields: (t) => ({
    at: t.expose('at', { type: 'DateTime' }),
    manual: t.exposeBoolean('manual', {
      description: 'Asked for by redeliverWebhookDelivery, not the retry schedule.',
    }),
    succeeded: t.exposeBoolean('succeeded'),
    statusCode: t.exposeInt('statusCode', { nullable: true, description: 'Null when no response arrived.' }),
    durationMs: t.exposeInt('durationMs'),
    error: t.exposeString('error', { nullable: true }),
    responseExcerpt: t.exposeString('responseExcerpt', {
      nullable: true,
      description: 'The first few KB of the response body.',
    }),
  }),
});

const WebhookAttemptConnection = builder.connectionObject({
  type: WebhookAttemptRef,
  name: 'WebhookAttemptConnection',
});

export const WebhookDeliveryRef = builder.objectRef<WebhookDelivery>('WebhookDelivery');

builder.node(WebhookDeliveryRef, {
  description: 'One event on its way to one webhook, with its attempts.',
  id: { resolve: (delivery) => delivery.id },
  isTypeOf: (value) =>
    typeof value === 'object' && value !== null && 'messageId' in value && 'webhookId' in value,
  loadOne: async (id, ctx) => {
    if (!ctx.principal) return null;
    try {
      return await ctx.services.webhooks.getDelivery(ctx.principal, id);
    } catch (error) {
      if (error instanceof DomainError) return null;
      throw error;
    }
  },
  fields: (t) => ({
    webhook: t.field({
      type: WebhookRef,
      resolve: async (d, _args, ctx) => {
        const webhook = await ctx.services.webhooks.get(ctx.principal, d.webhookId);
        if (!webhook) throw new NotFoundError('Webhook', d.webhookId);
        return webhook;
      },
    }),
    messageId: t.exposeString('messageId', {
      description: 'The `webhook-id` header: the same on every attempt, for receivers to drop duplicates.',
    }),
    eventType: t.field({ type: WebhookEventTypeEnum, resolve: (d) => d.eventType }),
    projectName: t.exposeString('projectName', { nullable: true }),
    body: t.exposeString('body', { description: 'The exact body sent (and signed).' }),
    payload: t.field({ type: 'JSON', description: 'The body, parsed.', resolve: (d) => JSON.parse(d.body) }),
    status: t.field({ type: WebhookDeliveryStatusEnum, resolve: (d) => d.status }),
    attemptCount: t.exposeInt('attemptCount'),
    nextAttemptAt: t.expose('nextAttemptAt', { type: 'DateTime', nullable: true }),
    lastAttemptAt: t.expose('lastAttemptAt', { type: 'DateTime', nullable: true }),
    lastStatusCode: t.exposeInt('lastStatusCode', { nullable: true }),
    lastError: t.exposeString('lastError', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    attempts: t.field({
      type: WebhookAttemptConnection,
      description: 'Newest first.',
      args: {
        first: t.arg.int({
          required: false,
          description: 'How many items to return: 0 to 100, default 20. More is VALIDATION_FAILED.',
        }),
        after: t.arg.string({ required: false }),
      },
      resolve: async (d, args, ctx) => {
        const page = pageArgs(args);
        return toConnection(await ctx.services.webhooks.listAttempts(ctx.principal, d.id, page), page.after);
      },
    }),
  }),
});

const WebhookDeliveryConnection = builder.connectionObject({
  type: WebhookDeliveryRef,
  name: 'WebhookDeliveryConnection',
});

const WebhookDeliveryFilter = builder.inputType('WebhookDeliveryFilter', {
  fields: (t) => ({ status: t.field({ type: WebhookDeliveryStatusEnum, required: false }) }),
});

builder.objectField(WebhookRef, 'deliveries', (t) =>
  t.field({
    type: WebhookDeliveryConnection,
    description: 'Newest first.',
    args: {
      first: t.arg.int({
        required: false,
        description: 'How many items to return: 0 to 100, default 20. More is VALIDATION_FAILED.',
      }),
      after: t.arg.string({
        required: false,
        description: 'Return the items after this cursor (a `pageInfo.endCursor`).',
      }),
      filter: t.arg({ type: WebhookDeliveryFilter, required: false }),
    },
    resolve: async (w, args, ctx) => {
      const page = pageArgs(args);
      return toConnection(
        await ctx.services.webhooks.listDeliveries(
          ctx.principal,
          w.id,
          { status: args.filter?.status },
          page,
        ),
        page.after,
      );
    },
  }),
);

const RedeliverWebhookDeliveryInput = builder.inputType('RedeliverWebhookDeliveryInput', {
  fields: (t) => ({ id: t.id({ required: true, description: 'The delivery.' }) }),
});

export const WebhookDeliveryPayload = (name: string) =>
  builder.objectRef<{ delivery: WebhookDelivery }>(name).implement({
    fields: (t) => ({ delivery: t.field({ type: WebhookDeliveryRef, resolve: (p) => p.delivery }) }),
  });

builder.mutationField('redeliverWebhookDelivery', (t) =>
  t.field({
    type: WebhookDeliveryPayload('RedeliverWebhookDeliveryPayload'),
    description:
      'Sends the delivery again, once, with its original `webhook-id` and body (the attempt is marked manual).',
    args: { input: t.arg({ type: RedeliverWebhookDeliveryInput, required: true }) },
    errors: {
      types: [ValidationError, NotFoundError, ConflictError],
      directResult: true,
      union: { name: 'RedeliverWebhookDeliveryResult' },
    },
    resolve: async (_root, { input }, ctx) => ({
      delivery: await ctx.services.webhooks.redeliver(
        ctx.principal,
        localId(String(input.id), 'WebhookDelivery'),
      ),
    }),
  }),
);
