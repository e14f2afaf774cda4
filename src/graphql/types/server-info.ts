import { builder } from '../builder.js';

export const RuntimeKind = builder.enumType('RuntimeKind', { values: ['LOCAL', 'KUBERNETES'] as const });
const DatabaseKind = builder.enumType('DatabaseKind', { values: ['PGLITE', 'POSTGRES'] as const });

const ServerInfoRef = builder.objectRef<{
  version: string;
  runtime: 'local' | 'kubernetes';
  database: 'pglite' | 'postgres';
  startedAt: Date;
}>('ServerInfo');

ServerInfoRef.implement({
  description: 'This rdev server. Readable without an API key.',
  fields: (t) => ({
    version: t.exposeString('version'),
    runtime: t.field({ type: RuntimeKind, resolve: (i) => (i.runtime === 'local' ? 'LOCAL' : 'KUBERNETES') }),
    database: t.field({
      type: DatabaseKind,
      resolve: (i) => (i.database === 'pglite' ? 'PGLITE' : 'POSTGRES'),
    }),
    startedAt: t.expose('startedAt', { type: 'DateTime' }),
  }),
});

builder.queryField('serverInfo', (t) =>
  t.field({ type: ServerInfoRef, resolve: (_root, _args, ctx) => ctx.services.serverInfo.get() }),
);

builder.subscriptionField('heartbeat', (t) =>
  t.field({
    type: 'DateTime',
    description:
      'The server time every `intervalSeconds` (default 15, at least 1, at most 3600), `count` times or until the client stops. Lets a client behind a proxy that drops idle streams keep one open and notice a dead connection. Needs no API key; without one, an address may hold only a few subscriptions at a time.',
    args: {
      intervalSeconds: t.arg.int({ required: false, defaultValue: 15 }),
      count: t.arg.int({ required: false }),
    },
    subscribe: (_root, args, ctx) =>
      ctx.services.serverInfo.heartbeats({ intervalSeconds: args.intervalSeconds ?? 15, count: args.count }),
    resolve: (value: Date) => value,
  }),
);
