import { DomainError } from '../../domain/errors.js';
import type { Webhook } from '../../domain/webhook.js';
import { builder } from '../builder.js';
import { pageArgs, toConnection } from '../connection.js';
import { WebhookEventTypeEnum } from './webhook-event-type.js';

export const WebhookRef = builder.objectRef<Webhook>('Webhook');

builder.node(WebhookRef, {
  description:
    'An endpoint that receives events as signed HTTP POSTs (Standard Webhooks). Its secret is shown only by the mutation that creates or rotates it.',
  id: { resolve: (webhook) => webhook.id, description: 'Global id; resolve it with `node(id:)`.' },
  isTypeOf: (value) => typeof value === 'object' && value !== null && 'url' in value && 'events' in value,
  loadOne: async (id, ctx) => {
    if (!ctx.principal) return null;
    try {
      return await ctx.services.webhooks.get(ctx.principal, id);
    } catch (error) {
      if (error instanceof DomainError) return null;
      throw error;
    }
  },
  fields: (t) => ({
    uuid: t.exposeString('id', {
      description:
        'The plain id of the webhook, as `webhook.ping` payloads and audit rows show it. Arguments of type ID take it as well as the global `id`.',
    }),
    url: t.exposeString('url', { description: 'Where events are POSTed.' }),
    events: t.field({
      type: [WebhookEventTypeEnum],
      description: 'The event types it receives.',
      resolve: (w) => w.events,
    }),
    projectNames: t.exposeStringList('projectNames', {
      nullable: true,
      description: 'Only events of these projects. Null: every project.',
    }),
    description: t.exposeString('description', { nullable: true, description: 'A note for people.' }),
    enabled: t.exposeBoolean('enabled', {
      description: 'A disabled webhook is sent nothing; its pending deliveries wait.',
    }),
    sendTraceContext: t.exposeBoolean('sendTraceContext', {
      description:
        "Requests carry `traceparent`, so the receiver can join rdev's traces. Off unless asked for.",
    }),
    disabledReason: t.exposeString('disabledReason', {
      nullable: true,
      description: 'Why rdev disabled it (410 Gone, failing for too long). Null when a person disabled it.',
    }),
    disabledAt: t.expose('disabledAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When it was disabled; null while enabled.',
    }),
    failingSince: t.expose('failingSince', {
      type: 'DateTime',
      nullable: true,
      description: 'Start of the current run of failed attempts; null after a success.',
    }),
    previousSecretExpiresAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'After a rotation: until then deliveries carry a signature with the previous secret too.',
      resolve: (w) =>
        w.previousSecretExpiresAt && w.previousSecretExpiresAt > new Date()
          ? w.previousSecretExpiresAt
          : null,
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was created.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'When it last changed.' }),
  }),
});

const WebhookConnection = builder.connectionObject({
  type: WebhookRef,
  name: 'WebhookConnection',
  description: 'One page of webhooks.',
});

builder.queryField('webhooks', (t) =>
  t.field({
    type: WebhookConnection,
    description:
      'Webhooks, newest first (scope `webhooks:manage`). A project-limited key sees those filtered to its projects.',
    authScopes: { scope: 'webhooks:manage' },
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
    resolve: async (_root, args, ctx) => {
      const page = pageArgs(args);
      return toConnection(await ctx.services.webhooks.list(ctx.principal, page), page.after);
    },
  }),
);
