import type { AuditEvent } from '../../domain/audit.js';
import { builder } from '../builder.js';
import { pageArgs, toConnection } from '../connection.js';
import { localId } from '../global-id.js';
import { ApiKeyRef } from './api-key.js';

const AuditOutcomeEnum = builder.enumType('AuditOutcome', {
  values: ['SUCCESS', 'FAILURE', 'DENIED'] as const,
});

const AuditEventRef = builder.objectRef<AuditEvent>('AuditEvent').implement({
  description: 'One change or privileged action. Append-only; secrets never appear in it.',
  fields: (t) => ({
    id: t.exposeID('id'),
    at: t.expose('at', { type: 'DateTime' }),
    action: t.exposeString('action', { description: 'What happened, e.g. `api_key.revoke`, `command.run`.' }),
    actorKey: t.field({
      type: ApiKeyRef,
      nullable: true,
      resolve: (e, _args, ctx) =>
        e.actorKeyId && ctx.principal
          ? ctx.services.apiKeys.get(ctx.principal, e.actorKeyId).catch(() => null)
          : null,
    }),
    actorKeyId: t.exposeString('actorKeyId', { nullable: true }),
    actorComponent: t.exposeString('actorComponent', {
      nullable: true,
      description: 'Set when rdev itself acted.',
    }),
    clientIp: t.exposeString('clientIp', { nullable: true }),
    targetType: t.exposeString('targetType'),
    targetId: t.exposeString('targetId', { nullable: true }),
    outcome: t.field({ type: AuditOutcomeEnum, resolve: (e) => e.outcome }),
    details: t.field({ type: 'JSON', resolve: (e) => e.details }),
    requestId: t.exposeString('requestId', { nullable: true }),
  }),
});

const AuditEventFilter = builder.inputType('AuditEventFilter', {
  fields: (t) => ({
    action: t.string({ required: false }),
    apiKeyId: t.id({ required: false, description: 'Global ID of the acting key.' }),
    targetType: t.string({ required: false }),
    targetId: t.string({ required: false }),
    from: t.field({ type: 'DateTime', required: false, description: 'Inclusive.' }),
    to: t.field({ type: 'DateTime', required: false, description: 'Exclusive.' }),
  }),
});

const AuditEventConnection = builder.connectionObject({ type: AuditEventRef, name: 'AuditEventConnection' });

builder.queryField('auditEvents', (t) =>
  t.field({
    type: AuditEventConnection,
    authScopes: { scope: 'audit:read' },
    args: {
      first: t.arg.int({
        required: false,
        description: 'How many items to return: 0 to 100, default 20. More is VALIDATION_FAILED.',
      }),
      after: t.arg.string({
        required: false,
        description: 'Return the items after this cursor (a `pageInfo.endCursor`).',
      }),
      filter: t.arg({ type: AuditEventFilter, required: false }),
    },
    resolve: async (_root, args, ctx) => {
      const page = pageArgs(args);
      const f = args.filter ?? {};
      const result = await ctx.services.audit.list(
        ctx.principal!,
        {
          action: f.action ?? undefined,
          actorKeyId: f.apiKeyId ? localId(String(f.apiKeyId), 'ApiKey') : undefined,
          targetType: f.targetType ?? undefined,
          targetId: f.targetId ?? undefined,
          from: f.from ?? undefined,
          to: f.to ?? undefined,
        },
        page,
      );
      return toConnection(result, page.after);
    },
  }),
);
