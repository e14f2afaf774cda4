// The B1 anchor: a bare graphql-yoga server answering `{ hello }`, no plugins, no database, in a
// process of its own. Request `listen` answers the port.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSchema, createYoga } from 'graphql-yoga';
import { serveRequests } from '../lib/child.js';

const yoga = createYoga({
  schema: createSchema({
    typeDefs: 'type Query { hello: String! }',
    resolvers: { Query: { hello: () => 'world' } },
  }),
  graphiql: false,
  logging: false,
});
const server = createServer(yoga);

serveRequests({
  listen: () =>
    new Promise<number>((resolve) =>
      server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
    ),
});
