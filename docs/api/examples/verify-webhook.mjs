// A webhook receiver that accepts only deliveries signed with your webhook's secret, using the
// Standard Webhooks library. It answers 204 to a good delivery and 401 to anything else.
//
//   RDEV_WEBHOOK_SECRET=whsec_... PORT=8080 node verify-webhook.mjs
//
// Needs `npm install standardwebhooks`.
import { createServer } from 'node:http';
import { Webhook } from 'standardwebhooks';

const webhook = new Webhook(process.env.RDEV_WEBHOOK_SECRET);
const seen = new Set(); // use your database: delivery is at least once

const server = createServer(async (req, res) => {
  // Verify the exact bytes received, before any JSON parsing.
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const body = Buffer.concat(chunks).toString('utf8');
  let event;
  try {
    // Checks the signature (any of the space-separated ones, for secret rotation) and that
    // `webhook-timestamp` is within five minutes of now, against replays.
    event = webhook.verify(body, req.headers);
  } catch (error) {
    res.writeHead(401).end(`rejected: ${error.message}`);
    return;
  }
  const id = req.headers['webhook-id']; // the same on every retry of one message
  if (!seen.has(id)) {
    seen.add(id);
    console.log(`${id} ${event.type} ${JSON.stringify(event.data)}`);
  }
  res.writeHead(204).end();
});

server.listen(Number(process.env.PORT ?? 8080), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
