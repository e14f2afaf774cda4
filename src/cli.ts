import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config.js';
import { announceIfSlow, printProgress } from './observability/slow-step.js';

// Each command imports what it runs when it runs: `help` loads no package, `keys` loads the
// database and the key service but not the GraphQL server.

const USAGE = `Usage: rdev <command>

Commands:
  serve      start the API server (what \`npm start\` runs)
  migrate    apply pending database migrations and exit
  keys       create, list and revoke API keys (rdev keys --help)

With the embedded database, stop the server first: one process owns its data folder.
`;

async function migrate(): Promise<void> {
  const { migrateDatabase } = await import('./admin.js');
  const applied = await migrateDatabase(loadConfig());
  process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n');
}

export async function main(argv: string[]): Promise<number> {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true, strict: false });
  const [command] = positionals;
  try {
    switch (command) {
      case 'serve': {
        const { serve } = await announceIfSlow(
          printProgress,
          'loading the server…',
          () => import('./main.js'),
        );
        await serve();
        return -1; // keeps running
      }
      case 'migrate':
        await migrate();
        return 0;
      case 'keys': {
        const [{ runKeysCommand }, { openAdminServices }] = await Promise.all([
          import('./cli-keys.js'),
          import('./admin.js'),
        ]);
        return await runKeysCommand(
          argv.slice(1),
          () => openAdminServices(loadConfig()),
          (line) => process.stdout.write(`${line}\n`),
        );
      }
      case undefined:
      case 'help':
        process.stdout.write(USAGE);
        return command ? 0 : 2;
      default:
        process.stderr.write(`rdev: unknown command "${command}"\n\n${USAGE}`);
        return 2;
    }
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`rdev: ${error.message}\n`);
      return 1;
    }
    process.stderr.write(`rdev: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

const code = await main(process.argv.slice(2));
if (code >= 0) process.exit(code);
