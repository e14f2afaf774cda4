import type { AuditEvent } from '../../domain/audit.js';
import { localId } from '../../domain/global-id.js';
import { builder } from '../builder.js';
import { pageArgs, toConnection } from '../connection.js';
import { describedValues } from '../described-values.js';
import { ApiKeyRef } from './api-key.js';

const AuditOutcomeEnum = builder.enumType('AuditOutcome', {
  description: 'How an audited action ended.',
  values: describedValues(['SUCCESS', 'FAILURE', 'DENIED'] as const, {
    SUCCESS: 'It was done.',
    FAILURE: 'It was allowed but failed.',
    DENIED: 'It was refused, e.g. for a missing scope or project grant.',
  }),
});

const AuditEventRef = builder.objectRef<AuditEvent>('AuditEvent').implement({
  description: 'One change or privileged action. Append-only; secrets never appear in it.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The id of the audit event.' }),
    at: t.expose('at', { type: 'DateTime', description: 'When it happened.' }),
    action: t.exposeString('action', { description: 'What happened, e.g. `api_key.revoke`, `command.run`.' }),
    actorKey: t.field({
      type: ApiKeyRef,
      nullable: true,
      description: 'The API key that acted; null when rdev acted or the key is not visible.',
      resolve: (e, _args, ctx) =>
        e.actorKeyId && ctx.principal
          ? ctx.services.apiKeys.get(ctx.principal, e.actorKeyId).catch(() => null)
          : null,
    }),
    actorKeyId: t.exposeString('actorKeyId', {
      nullable: true,
      description: 'The local id of the acting key, kept after the key is gone.',
    }),
    actorComponent: t.exposeString('actorComponent', {
      nullable: true,
      description: 'Set when rdev itself acted.',
    }),
    clientIp: t.exposeString('clientIp', {
      nullable: true,
      description: 'The address the request came from.',
    }),
    targetType: t.exposeString('targetType', {
      description: 'The kind of object acted on, e.g. `ApiKey`, `Command`, `Project`.',
    }),
    targetId: t.exposeString('targetId', {
      nullable: true,
      description: 'The local id or name of the object acted on.',
    }),
    outcome: t.field({ type: AuditOutcomeEnum, description: 'How it ended.', resolve: (e) => e.outcome }),
    details: t.field({
      type: 'JSON',
      description: 'What was asked for and what changed, without secrets.',
      resolve: (e) => e.details,
    }),
    requestId: t.exposeString('requestId', {
      nullable: true,
      description: 'The `X-Request-Id` of the request, to find it in the logs.',
    }),
  }),
});

const AuditEventFilter = builder.inputType('AuditEventFilter', {
  description: 'Narrows the audit log; the conditions all apply.',
  fields: (t) => ({
    action: t.string({ required: false, description: 'Only this action, e.g. `api_key.revoke`.' }),
    apiKeyId: t.id({ required: false, description: 'The acting key: its global id or its plain UUID.' }),
    targetType: t.string({ required: false, description: 'Only this kind of target.' }),
    targetId: t.string({ required: false, description: 'Only this target.' }),
    from: t.field({ type: 'DateTime', required: false, description: 'Events at or after this time.' }),
    to: t.field({ type: 'DateTime', required: false, description: 'Events before this time.' }),
  }),
});

const AuditEventConnection = builder.connectionObject({
  type: AuditEventRef,
  name: 'AuditEventConnection',
  description: 'One page of audit events.',
});

builder.queryField('auditEvents', (t) =>
  t.field({
    type: AuditEventConnection,
    description: 'The audit log of changes and privileged actions (scope `audit:read`).',
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
      filter: t.arg({ type: AuditEventFilter, required: false, description: 'Which events to list.' }),
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
