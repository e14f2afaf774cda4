import { builder } from '../builder.js';
import { describedValues } from '../described-values.js';

export const RuntimeKind = builder.enumType('RuntimeKind', {
  description: 'Where project workspaces come from.',
  values: describedValues(['LOCAL', 'KUBERNETES'] as const, {
    LOCAL: 'Folders under the workspaces folder on the rdev host.',
    KUBERNETES: 'Pods found by label in a Kubernetes cluster.',
  }),
});
const DatabaseKind = builder.enumType('DatabaseKind', {
  description: 'The database rdev stores its state in.',
  values: describedValues(['PGLITE', 'POSTGRES'] as const, {
    PGLITE: 'Embedded PGlite, inside the rdev process.',
    POSTGRES: 'A PostgreSQL server.',
  }),
});

const ServerInfoRef = builder.objectRef<{
  version: string;
  runtime: 'local' | 'kubernetes';
  database: 'pglite' | 'postgres';
  startedAt: Date;
}>('ServerInfo');

ServerInfoRef.implement({
  description: 'This rdev server. Readable without an API key.',
  fields: (t) => ({
    version: t.exposeString('version', { description: 'The rdev version.' }),
    runtime: t.field({
      type: RuntimeKind,
      description: 'Where workspaces come from.',
      resolve: (i) => (i.runtime === 'local' ? 'LOCAL' : 'KUBERNETES'),
    }),
    database: t.field({
      type: DatabaseKind,
      description: 'The database in use.',
      resolve: (i) => (i.database === 'pglite' ? 'PGLITE' : 'POSTGRES'),
    }),
    startedAt: t.expose('startedAt', { type: 'DateTime', description: 'When this server process started.' }),
  }),
});

builder.queryField('serverInfo', (t) =>
  t.field({
    type: ServerInfoRef,
    description: 'The version, runtime and database of this server; needs no API key.',
    resolve: (_root, _args, ctx) => ctx.services.serverInfo.get(),
  }),
);

builder.subscriptionField('heartbeat', (t) =>
  t.field({
    type: 'DateTime',
    description:
      'The server time every `intervalSeconds` (default 15, at least 1, at most 3600), `count` times or until the client stops. Lets a client behind a proxy that drops idle streams keep one open and notice a dead connection. Needs no API key; without one, an address may hold only a few subscriptions at a time.',
    args: {
      intervalSeconds: t.arg.int({
        required: false,
        defaultValue: 15,
        description: 'Seconds between beats: 1 to 3600.',
      }),
      count: t.arg.int({
        required: false,
        description: 'Stop after this many beats; omit to go on until the client stops.',
      }),
    },
    subscribe: (_root, args, ctx) =>
      ctx.services.serverInfo.heartbeats({ intervalSeconds: args.intervalSeconds ?? 15, count: args.count }),
    resolve: (value: Date) => value,
  }),
);
