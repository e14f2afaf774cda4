// Runs a program with its stdin open in a project workspace, sends it what this process reads on
// stdin, and prints its output as it comes: all over one graphql-ws connection.
//
//   printf 'b\na\n' | RDEV_URL=http://127.0.0.1:4000 RDEV_KEY=rdev_... node send-input-graphql-ws.mjs PROJECT sort
//
// The key needs `commands:run:shell`, `commands:read` and `commands:input`.
// Needs `npm install graphql-ws ws` (a browser has its own WebSocket: drop `webSocketImpl`).
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const RUN = `mutation Run($input: RunShellInput!) {
  runShell(input: $input) { ... on RunCommandPayload { command { id } } ... on Error { code message } }
}`;
const SEND = `mutation Send($input: SendCommandInputInput!) {
  sendCommandInput(input: $input) {
    ... on SendCommandInputPayload { command { stdinOpen } }
    ... on Error { code message }
  }
}`;
const OUTPUT = `subscription Output($id: ID!) {
  commandOutput(commandId: $id) { seq stream data end { status exitCode signal error } }
}`;
// Below RDEV_COMMAND_INPUT_MAX_BYTES (512 KiB unless the server says otherwise).
const PIECE_BYTES = 256 * 1024;

const client = createClient({
  url: `${(process.env.RDEV_URL ?? 'http://127.0.0.1:4000').replace(/^http/, 'ws')}/graphql`,
  webSocketImpl: WebSocket,
  connectionParams: { authorization: `Bearer ${process.env.RDEV_KEY}` },
});

/** Runs a mutation; returns its payload, or throws with the error's code and message. */
async function mutate(query, input) {
  const { value } = await client.iterate({ query, variables: { input } }).next();
  if (value.errors) throw new Error(value.errors.map((e) => e.message).join('; '));
  const payload = Object.values(value.data)[0];
  if (payload.code) throw new Error(`${payload.code}: ${payload.message}`);
  return payload;
}

/** Prints the command's output until its end event, and resolves with that end. */
function printOutput(commandId) {
  return new Promise((resolve, reject) => {
    client.subscribe(
      { query: OUTPUT, variables: { id: commandId } },
      {
        next: ({ data, errors }) => {
          if (errors) return reject(new Error(errors.map((e) => e.message).join('; ')));
          const event = data.commandOutput;
          (event.stream === 'STDOUT' ? process.stdout : process.stderr).write(event.data);
          if (event.end) resolve(event.end);
        },
        error: reject,
        complete: () => {},
      },
    );
  });
}

const [projectName, ...argv] = process.argv.slice(2);
try {
  const { command } = await mutate(RUN, { projectName, argv, openStdin: true });
  const ended = printOutput(command.id);
  // Each piece is stored before its call answers, and reaches the program once, in order.
  for await (const chunk of process.stdin) {
    for (let at = 0; at < chunk.length; at += PIECE_BYTES) {
      const piece = chunk.subarray(at, at + PIECE_BYTES);
      await mutate(SEND, { commandId: command.id, dataBase64: piece.toString('base64') });
    }
  }
  // End of file for the program: it finishes its work and exits.
  await mutate(SEND, { commandId: command.id, eof: true });
  const end = await ended;
  process.exitCode = end.status === 'SUCCEEDED' ? 0 : 1;
} catch (error) {
  console.error(error.message);
  process.exitCode = 2;
} finally {
  await client.dispose();
}
