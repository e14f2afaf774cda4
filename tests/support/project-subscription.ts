import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import type { App } from '../../src/app.js';

export interface EventSink {
  events: { type: string; name: string; allowed: string[] }[];
  errors: unknown[];
  client: Client;
}

/** Subscribes to projectUpdated over graphql-ws with `key`; collects events and errors. */
export async function subscribeProjects(url: string, key: string): Promise<EventSink> {
  const client = createClient({
    url: `${url.replace('http', 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${key}` },
  });
  const sink: EventSink = { events: [], errors: [], client };
  let acknowledged!: () => void;
  const ready = new Promise<void>((r) => {
    acknowledged = r;
  });
  client.on('connected', () => acknowledged());
  client.subscribe<{
    projectUpdated: { type: string; project: { name: string; allowedCommandTypes: string[] } };
  }>(
    { query: 'subscription { projectUpdated { type at project { name allowedCommandTypes } } }' },
    {
      next: (r) => {
        if (r.errors) sink.errors.push(...r.errors);
        const e = r.data?.projectUpdated;
        if (e)
          sink.events.push({ type: e.type, name: e.project.name, allowed: e.project.allowedCommandTypes });
      },
      error: (e) => sink.errors.push(e),
      complete: () => {},
    },
  );
  await ready;
  return sink;
}

/** Open graphql-ws operations of an app, to wait until a subscription is live before acting. */
export async function openWsOperations(app: App): Promise<number> {
  const metric = await app.metrics.activeSubscriptions.get();
  return metric.values.find((v) => v.labels.transport === 'graphql-ws')?.value ?? 0;
}
