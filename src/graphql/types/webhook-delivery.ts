import { ConflictError, DomainError, NotFoundError, ValidationError } from '../../domain/errors.js';
import { localId } from '../../domain/global-id.js';
import {
  WEBHOOK_DELIVERY_STATUSES,
  type WebhookAttempt,
  type WebhookDelivery,
} from '../../domain/webhook.js';
import { builder } from '../builder.js';
import { pageArgs, toConnection } from '../connection.js';
import { describedValues } from '../described-values.js';
import { WebhookRef } from './webhook.js';
import { WebhookEventTypeEnum } from './webhook-event-type.js';

const WebhookDeliveryStatusEnum = builder.enumType('WebhookDeliveryStatus', {
  description: 'PENDING until an attempt succeeds (SUCCEEDED) or rdev gives up (FAILED).',
  values: describedValues(WEBHOOK_DELIVERY_STATUSES, {
    PENDING: 'Not yet delivered: an attempt is due or in flight.',
    SUCCEEDED: 'An attempt got a 2xx answer.',
    FAILED: 'rdev gave up: the retry schedule is used up. `redeliverWebhookDelivery` can still send it.',
  }),
});

const WebhookAttemptRef = builder.objectRef<WebhookAttempt>('WebhookAttempt').implement({
  description: 'One HTTP request of a delivery.',
  fields: (t) => ({
    at: t.expose('at', { type: 'DateTime', description: 'When the request was sent.' }),
    manual: t.exposeBoolean('manual', {
      description: 'Asked for by redeliverWebhookDelivery, not the retry schedule.',
    }),
    succeeded: t.exposeBoolean('succeeded', { description: 'True for a 2xx answer.' }),
    statusCode: t.exposeInt('statusCode', {
      nullable: true,
      description: 'The HTTP status of the answer; null when no response arrived.',
    }),
    durationMs: t.exposeInt('durationMs', { description: 'How long the request took, in milliseconds.' }),
    error: t.exposeString('error', { nullable: true, description: 'Why the attempt failed, if it did.' }),
    responseExcerpt: t.exposeString('responseExcerpt', {
      nullable: true,
      description: 'The first few KB of the response body.',
    }),
  }),
});

const WebhookAttemptConnection = builder.connectionObject({
  type: WebhookAttemptRef,
  name: 'WebhookAttemptConnection',
  description: 'One page of delivery attempts.',
});

export const WebhookDeliveryRef = builder.objectRef<WebhookDelivery>('WebhookDelivery');

builder.node(WebhookDeliveryRef, {
  description: 'One event on its way to one webhook, with its attempts.',
  id: { resolve: (delivery) => delivery.id, description: 'Global id; resolve it with `node(id:)`.' },
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
    uuid: t.exposeString('id', {
      description:
        'The plain id of the delivery, as audit rows show it. Arguments of type ID take it as well as the global `id`.',
    }),
    webhook: t.field({
      type: WebhookRef,
      description: 'The webhook it goes to.',
      resolve: async (d, _args, ctx) => {
        const webhook = await ctx.services.webhooks.get(ctx.principal, d.webhookId);
        if (!webhook) throw new NotFoundError('Webhook', d.webhookId);
        return webhook;
      },
    }),
    messageId: t.exposeString('messageId', {
      description: 'The `webhook-id` header: the same on every attempt, for receivers to drop duplicates.',
    }),
    eventType: t.field({
      type: WebhookEventTypeEnum,
      description: 'The event it carries.',
      resolve: (d) => d.eventType,
    }),
    projectName: t.exposeString('projectName', {
      nullable: true,
      description: 'The project the event is about, if any.',
    }),
    body: t.exposeString('body', { description: 'The exact body sent (and signed).' }),
    payload: t.field({ type: 'JSON', description: 'The body, parsed.', resolve: (d) => JSON.parse(d.body) }),
    status: t.field({
      type: WebhookDeliveryStatusEnum,
      description: 'Whether it has arrived.',
      resolve: (d) => d.status,
    }),
    attemptCount: t.exposeInt('attemptCount', { description: 'Requests sent so far.' }),
    nextAttemptAt: t.expose('nextAttemptAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When the next retry is due; null once it succeeded or failed for good.',
    }),
    lastAttemptAt: t.expose('lastAttemptAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When the last request was sent.',
    }),
    lastStatusCode: t.exposeInt('lastStatusCode', {
      nullable: true,
      description: 'The HTTP status of the last answer.',
    }),
    lastError: t.exposeString('lastError', {
      nullable: true,
      description: 'Why the last attempt failed, if it did.',
    }),
    createdAt: t.expose('createdAt', {
      type: 'DateTime',
      description: 'When the event was queued for this webhook.',
    }),
    attempts: t.field({
      type: WebhookAttemptConnection,
      description: 'The requests sent, newest first.',
      args: {
        first: t.arg.int({
          required: false,
          description: 'How many items to return: 0 to 100, default 20. More is VALIDATION_FAILED.',
        }),
        after: t.arg.string({
          required: false,
          description: 'Return the items after this cursor (a `pageInfo.endCursor`).',
        }),
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
  description: 'One page of deliveries.',
});

const WebhookDeliveryFilter = builder.inputType('WebhookDeliveryFilter', {
  description: 'Narrows the delivery list.',
  fields: (t) => ({
    status: t.field({
      type: WebhookDeliveryStatusEnum,
      required: false,
      description: 'Only deliveries in this status.',
    }),
  }),
});

builder.objectField(WebhookRef, 'deliveries', (t) =>
  t.field({
    type: WebhookDeliveryConnection,
    description: 'Events sent or to be sent to this webhook, newest first.',
    args: {
      first: t.arg.int({
        required: false,
        description: 'How many items to return: 0 to 100, default 20. More is VALIDATION_FAILED.',
      }),
      after: t.arg.string({
        required: false,
        description: 'Return the items after this cursor (a `pageInfo.endCursor`).',
      }),
      filter: t.arg({
        type: WebhookDeliveryFilter,
        required: false,
        description: 'Which deliveries to list.',
      }),
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
  description: 'Which delivery to send again.',
  fields: (t) => ({
    id: t.id({ required: true, description: 'The delivery: its global id or its plain UUID.' }),
  }),
});

export const WebhookDeliveryPayload = (name: string) =>
  builder.objectRef<{ delivery: WebhookDelivery }>(name).implement({
    description: 'The delivery, queued to be sent.',
    fields: (t) => ({
      delivery: t.field({
        type: WebhookDeliveryRef,
        description: 'The delivery.',
        resolve: (p) => p.delivery,
      }),
    }),
  });

builder.mutationField('redeliverWebhookDelivery', (t) =>
  t.field({
    type: WebhookDeliveryPayload('RedeliverWebhookDeliveryPayload'),
    description:
      'Sends the delivery again, once, with its original `webhook-id` and body (the attempt is marked manual). Scope `webhooks:manage`. Errors: VALIDATION_FAILED, NOT_FOUND, CONFLICT.',
    args: {
      input: t.arg({ type: RedeliverWebhookDeliveryInput, required: true, description: 'The delivery.' }),
    },
    errors: {
      types: [ValidationError, NotFoundError, ConflictError],
      directResult: true,
      union: {
        name: 'RedeliverWebhookDeliveryResult',
        description: 'The delivery, or why it could not be sent again.',
      },
    },
    resolve: async (_root, { input }, ctx) => ({
      delivery: await ctx.services.webhooks.redeliver(
        ctx.principal,
        localId(String(input.id), 'WebhookDelivery'),
      ),
    }),
  }),
);
