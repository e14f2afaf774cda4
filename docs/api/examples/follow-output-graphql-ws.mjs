// Follows a command's output over graphql-ws and resumes after a dropped connection, so every
// event arrives exactly once and in order, however often the connection breaks.
//
//   RDEV_URL=http://127.0.0.1:4000 RDEV_KEY=rdev_... node follow-output-graphql-ws.mjs COMMAND_ID [AFTER]
//
// Needs `npm install graphql-ws ws` (a browser has its own WebSocket: drop `webSocketImpl`).
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const OUTPUT = `subscription Output($id: ID!, $after: Int) {
  commandOutput(commandId: $id, after: $after) { seq stream data end { status exitCode signal error } }
}`;

/**
 * Calls `onEvent` for each output event after `after`, then resolves with how the command ended
 * (null when the end was already at or before `after`).
 * A closed or failed connection is opened again with `after` set to the last seq received.
 */
async function followOutput({ url, key, commandId, after = 0, onEvent }) {
  let cursor = after;
  for (let failures = 0; failures < 10; failures++) {
    const client = createClient({
      url: `${url.replace(/^http/, 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${key}` },
      // The client would re-subscribe with the old `after`; this function resumes instead.
      retryAttempts: 0,
    });
    try {
      const events = client.iterate({ query: OUTPUT, variables: { id: commandId, after: cursor } });
      for await (const { data, errors } of events) {
        if (errors) throw errors; // NOT_FOUND, FORBIDDEN, RATE_LIMITED, ...
        const event = data.commandOutput;
        onEvent(event);
        cursor = event.seq;
        failures = 0;
        if (event.end) return event.end;
      }
      return null; // completed at once: the end lies at or before `after`
    } catch (error) {
      // Close codes below 4000 (1001 going away, 1006 dropped, 1008 too slow, 1011, 1012)
      // mean "try again"; 44xx codes and GraphQL errors will not get better by retrying.
      const retry = !Array.isArray(error) && !(error?.code >= 4000);
      if (!retry) throw new Error(describe(error));
    } finally {
      await client.dispose();
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(200 * 2 ** failures, 5000)));
  }
  throw new Error('gave up after 10 failed connections');
}

function describe(error) {
  if (Array.isArray(error)) return error.map((e) => `${e.extensions?.code}: ${e.message}`).join('; ');
  if (error?.code) return `connection closed: ${error.code} ${error.reason ?? ''}`;
  return String(error);
}

const [commandId, after = '0'] = process.argv.slice(2);
const end = await followOutput({
  url: process.env.RDEV_URL ?? 'http://127.0.0.1:4000',
  key: process.env.RDEV_KEY,
  commandId,
  after: Number(after),
  // STDOUT to stdout; STDERR and rdev's SYSTEM notes (the last one says how it ended) to stderr.
  onEvent: (event) => (event.stream === 'STDOUT' ? process.stdout : process.stderr).write(event.data),
});
process.exitCode = end === null || end.status === 'SUCCEEDED' ? 0 : 1;
