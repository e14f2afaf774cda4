import { encodeGlobalID } from '@pothos/plugin-relay';
import { ForbiddenError, NotFoundError, ValidationError } from '../../domain/errors.js';
import { localId } from '../../domain/global-id.js';
import type { Webhook } from '../../domain/webhook.js';
import { builder } from '../builder.js';
import { WebhookRef } from './webhook.js';
import { WebhookDeliveryPayload } from './webhook-delivery.js';
import { WebhookEventTypeEnum } from './webhook-event-type.js';

const WebhookSecretPayload = (name: string) =>
  builder.objectRef<{ webhook: Webhook; secret: string }>(name).implement({
    description: 'The webhook and its new signing secret.',
    fields: (t) => ({
      webhook: t.field({ type: WebhookRef, description: 'The webhook.', resolve: (p) => p.webhook }),
      secret: t.exposeString('secret', {
        description: 'The signing secret (`whsec_...`). Shown only here: store it now.',
      }),
    }),
  });

const CreateWebhookInput = builder.inputType('CreateWebhookInput', {
  description: 'A new webhook.',
  fields: (t) => ({
    url: t.string({
      required: true,
      description: 'http or https; internal and private addresses are refused.',
    }),
    events: t.field({
      type: [WebhookEventTypeEnum],
      required: true,
      description: 'The event types to receive.',
    }),
    projectNames: t.stringList({
      required: false,
      description: 'Only events of these projects. Omit for every project.',
    }),
    description: t.string({ required: false, description: 'A note for people.' }),
    sendTraceContext: t.boolean({
      required: false,
      description:
        "Send `traceparent` with each request so the receiver can join rdev's traces (default false: trace ids stay inside).",
    }),
  }),
});
const UpdateWebhookInput = builder.inputType('UpdateWebhookInput', {
  description: 'Omitted fields stay as they are; `projectNames: null` means every project.',
  fields: (t) => ({
    id: t.id({ required: true, description: 'The webhook: its global id or its plain UUID.' }),
    url: t.string({
      required: false,
      description: 'A new URL: http or https; internal and private addresses are refused.',
    }),
    events: t.field({
      type: [WebhookEventTypeEnum],
      required: false,
      description: 'The new event types, replacing the old ones.',
    }),
    projectNames: t.stringList({
      required: false,
      description: 'Only events of these projects; null: every project.',
    }),
    description: t.string({ required: false, description: 'A new note.' }),
    enabled: t.boolean({ required: false, description: 'Enabling also clears the failure run.' }),
    sendTraceContext: t.boolean({ required: false, description: 'Send `traceparent` with each request.' }),
  }),
});
const DeleteWebhookInput = builder.inputType('DeleteWebhookInput', {
  description: 'Which webhook to delete.',
  fields: (t) => ({
    id: t.id({ required: true, description: 'The webhook: its global id or its plain UUID.' }),
  }),
});
const RotateWebhookSecretInput = builder.inputType('RotateWebhookSecretInput', {
  description: 'Which webhook gets a new signing secret.',
  fields: (t) => ({
    id: t.id({ required: true, description: 'The webhook: its global id or its plain UUID.' }),
    overlapSeconds: t.int({
      required: false,
      description:
        'How long deliveries are also signed with the previous secret (default 86400, at most 604800; 0 stops it at once).',
    }),
  }),
});
const PingWebhookInput = builder.inputType('PingWebhookInput', {
  description: 'Which webhook to ping.',
  fields: (t) => ({
    id: t.id({ required: true, description: 'The webhook: its global id or its plain UUID.' }),
  }),
});

const webhookId = (id: string | number) => localId(String(id), 'Webhook');

builder.mutationField('createWebhook', (t) =>
  t.field({
    type: WebhookSecretPayload('CreateWebhookPayload'),
    description:
      'Create a webhook (scope `webhooks:manage`); its signing secret is in the answer only. Errors: VALIDATION_FAILED (e.g. a private address), FORBIDDEN (projects outside the key).',
    args: { input: t.arg({ type: CreateWebhookInput, required: true, description: 'The new webhook.' }) },
    errors: {
      types: [ValidationError, ForbiddenError],
      directResult: true,
      union: {
        name: 'CreateWebhookResult',
        description: 'The new webhook and its secret, or why it was refused.',
      },
    },
    resolve: (_root, { input }, ctx) =>
      ctx.services.webhooks.create(ctx.principal, {
        url: input.url,
        events: input.events,
        projectNames: input.projectNames ?? null,
        description: input.description ?? null,
        sendTraceContext: input.sendTraceContext ?? false,
      }),
  }),
);

builder.mutationField('updateWebhook', (t) =>
  t.field({
    type: builder.objectRef<{ webhook: Webhook }>('UpdateWebhookPayload').implement({
      description: 'The webhook after the change.',
      fields: (f) => ({
        webhook: f.field({ type: WebhookRef, description: 'The webhook.', resolve: (p) => p.webhook }),
      }),
    }),
    description:
      'Change a webhook (scope `webhooks:manage`). Errors: VALIDATION_FAILED, FORBIDDEN, NOT_FOUND.',
    args: {
      input: t.arg({ type: UpdateWebhookInput, required: true, description: 'The webhook and its changes.' }),
    },
    errors: {
      types: [ValidationError, ForbiddenError, NotFoundError],
      directResult: true,
      union: {
        name: 'UpdateWebhookResult',
        description: 'The changed webhook, or why the change was refused.',
      },
    },
    resolve: async (_root, { input }, ctx) => ({
      webhook: await ctx.services.webhooks.update(ctx.principal, {
        id: webhookId(input.id),
        ...(input.url != null ? { url: input.url } : {}),
        ...(input.events != null ? { events: input.events } : {}),
        ...(input.projectNames !== undefined ? { projectNames: input.projectNames } : {}),
        ...(input.description !== undefined ? { description: input.description } : {}),
        ...(input.enabled != null ? { enabled: input.enabled } : {}),
        ...(input.sendTraceContext != null ? { sendTraceContext: input.sendTraceContext } : {}),
      }),
    }),
  }),
);

builder.mutationField('deleteWebhook', (t) =>
  t.field({
    type: builder.objectRef<{ deletedId: string }>('DeleteWebhookPayload').implement({
      description: 'The webhook is gone, with its pending deliveries.',
      fields: (f) => ({
        deletedId: f.exposeID('deletedId', { description: 'The global id of the deleted webhook.' }),
      }),
    }),
    description: 'Delete a webhook (scope `webhooks:manage`). Errors: NOT_FOUND.',
    args: {
      input: t.arg({ type: DeleteWebhookInput, required: true, description: 'The webhook to delete.' }),
    },
    errors: {
      types: [NotFoundError],
      directResult: true,
      union: { name: 'DeleteWebhookResult', description: 'The deleted id, or NOT_FOUND.' },
    },
    resolve: async (_root, { input }, ctx) => {
      const { deletedId } = await ctx.services.webhooks.delete(ctx.principal, webhookId(input.id));
      return { deletedId: encodeGlobalID('Webhook', deletedId) };
    },
  }),
);

builder.mutationField('rotateWebhookSecret', (t) =>
  t.field({
    type: WebhookSecretPayload('RotateWebhookSecretPayload'),
    description:
      'Give a webhook a new signing secret (scope `webhooks:manage`); deliveries carry signatures with both secrets for `overlapSeconds`. Errors: VALIDATION_FAILED, NOT_FOUND.',
    args: {
      input: t.arg({ type: RotateWebhookSecretInput, required: true, description: 'The webhook to rotate.' }),
    },
    errors: {
      types: [ValidationError, NotFoundError],
      directResult: true,
      union: {
        name: 'RotateWebhookSecretResult',
        description: 'The webhook and its new secret, or why rotation was refused.',
      },
    },
    resolve: (_root, { input }, ctx) =>
      ctx.services.webhooks.rotateSecret(ctx.principal, {
        id: webhookId(input.id),
        overlapSeconds: input.overlapSeconds,
      }),
  }),
);

builder.mutationField('pingWebhook', (t) =>
  t.field({
    type: WebhookDeliveryPayload('PingWebhookPayload'),
    description:
      'Sends a `webhook.ping` event to this webhook alone, whatever it subscribed to (scope `webhooks:manage`). Errors: VALIDATION_FAILED, NOT_FOUND.',
    args: { input: t.arg({ type: PingWebhookInput, required: true, description: 'The webhook to ping.' }) },
    errors: {
      types: [ValidationError, NotFoundError],
      directResult: true,
      union: { name: 'PingWebhookResult', description: 'The ping delivery, or why it could not be sent.' },
    },
    resolve: async (_root, { input }, ctx) => ({
      delivery: await ctx.services.webhooks.ping(ctx.principal, webhookId(input.id)),
    }),
  }),
);
