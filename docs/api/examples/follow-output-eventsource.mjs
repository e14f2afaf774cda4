// Follows a command's output on the legacy SSE endpoint with EventSource. EventSource reconnects
// by itself and sends the `Last-Event-ID` header, so rdev carries on after the last event received.
//
//   RDEV_URL=http://127.0.0.1:4000 RDEV_KEY=rdev_... node follow-output-eventsource.mjs COMMAND_ID
//
// COMMAND_ID is the plain id that `POST /api/v1/projects/{name}/shell` returns. Needs
// `npm install eventsource` on Node (browsers have EventSource, but it cannot send an
// Authorization header: use GraphQL over SSE there, or a same-origin proxy that adds it).
import { EventSource } from 'eventsource';

/** Calls `onEvent` for each output event, then resolves with the end event's data. */
function followOutput({ url, key, commandId, onEvent }) {
  return new Promise((resolve, reject) => {
    const source = new EventSource(`${url}/api/v1/commands/${encodeURIComponent(commandId)}/stream`, {
      // Keys never go in URLs; the fetch option adds the header to every (re)connection.
      fetch: (input, init) =>
        fetch(input, { ...init, headers: { ...init.headers, authorization: `Bearer ${key}` } }),
    });
    source.addEventListener('output', (message) => onEvent(JSON.parse(message.data)));
    source.addEventListener('end', (message) => {
      source.close(); // otherwise EventSource would reconnect and get 204 No Content
      resolve(JSON.parse(message.data));
    });
    source.addEventListener('error', (error) => {
      // CONNECTING: the stream broke and EventSource is retrying; CLOSED: it gave up (401, 404, ...).
      if (source.readyState === EventSource.CLOSED) reject(new Error(`stream failed: ${error.message}`));
    });
  });
}

const [commandId] = process.argv.slice(2);
const end = await followOutput({
  url: process.env.RDEV_URL ?? 'http://127.0.0.1:4000',
  key: process.env.RDEV_KEY,
  commandId,
  onEvent: (event) => (event.stream === 'STDOUT' ? process.stdout : process.stderr).write(event.data),
});
process.stderr.write(end.data);
process.exitCode = end.status === 'SUCCEEDED' ? 0 : 1;
