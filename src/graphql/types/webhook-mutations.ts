import { encodeGlobalID } from '@pothos/plugin-relay';
import { ForbiddenError, NotFoundError, ValidationError } from '../../domain/errors.js';
import type { Webhook } from '../../domain/webhook.js';
import { builder } from '../builder.js';
import { localId } from '../global-id.js';
import { WebhookRef } from './webhook.js';
import { WebhookDeliveryPayload } from './webhook-delivery.js';
import { WebhookEventTypeEnum } from './webhook-event-type.js';

const WebhookSecretPayload = (name: string) =>
  builder.objectRef<{ webhook: Webhook; secret: string }>(name).implement({
    fields: (t) => ({
      webhook: t.field({ type: WebhookRef, resolve: (p) => p.webhook }),
      secret: t.exposeString('secret', {
        description: 'The signing secret (`whsec_...`). Shown only here: store it now.',
      }),
    }),
  });

const CreateWebhookInput = builder.inputType('CreateWebhookInput', {
  fields: (t) => ({
    url: t.string({
      required: true,
      description: 'http or https; internal and private addresses are refused.',
    }),
    events: t.field({ type: [WebhookEventTypeEnum], required: true }),
    projectNames: t.stringList({
      required: false,
      description: 'Only events of these projects. Omit for every project.',
    }),
    description: t.string({ required: false }),
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
    id: t.id({ required: true }),
    url: t.string({ required: false }),
    events: t.field({ type: [WebhookEventTypeEnum], required: false }),
    projectNames: t.stringList({ required: false }),
    description: t.string({ required: false }),
    enabled: t.boolean({ required: false, description: 'Enabling also clears the failure run.' }),
    sendTraceContext: t.boolean({ required: false, description: 'Send `traceparent` with each request.' }),
  }),
});
const DeleteWebhookInput = builder.inputType('DeleteWebhookInput', {
  fields: (t) => ({ id: t.id({ required: true }) }),
});
const RotateWebhookSecretInput = builder.inputType('RotateWebhookSecretInput', {
  fields: (t) => ({
    id: t.id({ required: true }),
    overlapSeconds: t.int({
      required: false,
      description:
        'How long deliveries are also signed with the previous secret (default 86400, at most 604800; 0 stops it at once).',
    }),
  }),
});
const PingWebhookInput = builder.inputType('PingWebhookInput', {
  fields: (t) => ({ id: t.id({ required: true }) }),
});

const webhookId = (id: string | number) => localId(String(id), 'Webhook');

builder.mutationField('createWebhook', (t) =>
  t.field({
    type: WebhookSecretPayload('CreateWebhookPayload'),
    args: { input: t.arg({ type: CreateWebhookInput, required: true }) },
    errors: {
      types: [ValidationError, ForbiddenError],
      directResult: true,
      union: { name: 'CreateWebhookResult' },
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
      fields: (f) => ({ webhook: f.field({ type: WebhookRef, resolve: (p) => p.webhook }) }),
    }),
    args: { input: t.arg({ type: UpdateWebhookInput, required: true }) },
    errors: {
      types: [ValidationError, ForbiddenError, NotFoundError],
      directResult: true,
      union: { name: 'UpdateWebhookResult' },
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
      fields: (f) => ({ deletedId: f.exposeID('deletedId') }),
    }),
    args: { input: t.arg({ type: DeleteWebhookInput, required: true }) },
    errors: { types: [NotFoundError], directResult: true, union: { name: 'DeleteWebhookResult' } },
    resolve: async (_root, { input }, ctx) => {
      const { deletedId } = await ctx.services.webhooks.delete(ctx.principal, webhookId(input.id));
      return { deletedId: encodeGlobalID('Webhook', deletedId) };
    },
  }),
);

builder.mutationField('rotateWebhookSecret', (t) =>
  t.field({
    type: WebhookSecretPayload('RotateWebhookSecretPayload'),
    args: { input: t.arg({ type: RotateWebhookSecretInput, required: true }) },
    errors: {
      types: [ValidationError, NotFoundError],
      directResult: true,
      union: { name: 'RotateWebhookSecretResult' },
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
    description: 'Sends a `webhook.ping` event to this webhook alone, whatever it subscribed to.',
    args: { input: t.arg({ type: PingWebhookInput, required: true }) },
    errors: {
      types: [ValidationError, NotFoundError],
      directResult: true,
      union: { name: 'PingWebhookResult' },
    },
    resolve: async (_root, { input }, ctx) => ({
      delivery: await ctx.services.webhooks.ping(ctx.principal, webhookId(input.id)),
    }),
  }),
);
