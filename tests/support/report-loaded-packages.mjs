// Preloaded into a process under test (`node --import`): when the process exits, it prints on
// stderr the npm packages it loaded, as one line `loaded-packages: ["name", …]`.
import { Session } from 'node:inspector';

process.on('exit', () => {
  const urls = [];
  const session = new Session();
  session.connect();
  // Enabling the debugger reports every script already parsed, ES modules included.
  session.on('Debugger.scriptParsed', (message) => urls.push(message.params.url));
  session.post('Debugger.enable');
  session.disconnect();
  const packages = new Set();
  for (const url of urls) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
    if (match) packages.add(match[1]);
  }
  process.stderr.write(`loaded-packages: ${JSON.stringify([...packages].sort())}\n`);
});
