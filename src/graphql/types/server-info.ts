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
      'The server time every `intervalSeconds` (default 15), `count` times or until the client stops. Lets a client behind a proxy that drops idle streams keep one open and notice a dead connection.',
    args: {
      intervalSeconds: t.arg.int({ required: false, defaultValue: 15 }),
      count: t.arg.int({ required: false }),
    },
    subscribe: async function* (_root, args) {
      const interval = Math.min(Math.max(args.intervalSeconds ?? 15, 0), 3600) * 1000;
      const count = args.count ?? Number.POSITIVE_INFINITY;
      for (let i = 0; i < count; i++) {
        if (i > 0) await new Promise((r) => setTimeout(r, interval));
        yield new Date();
      }
    },
    resolve: (value: Date) => value,
  }),
);
