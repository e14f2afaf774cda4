import { setFlagsFromString } from 'node:v8';
import { Command, CommanderError } from 'commander';
import { ConfigError, loadConfig } from './config.js';
import { SCOPES } from './domain/scopes.js';
import { announceIfSlow, printProgress } from './observability/slow-step.js';

// Each command imports what it runs when it runs: `help` loads no project module beyond the
// parser, `keys` loads the database and the key service but not the GraphQL server.

// Repeatable options start absent rather than at [] so that help shows no "(default: [])".
const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];
const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
const keys = () => import('./cli-keys.js');
/**
 * The admin composition, for a command that runs a few queries and exits. V8 first compiles the
 * embedded database's 10 MB of WebAssembly quickly (Liftoff), then again, optimised, on other
 * threads: work a server gains from and a one-shot command pays for without using it (about a
 * third of `rdev keys list`'s CPU). Set before anything compiles that module.
 */
const admin = () => {
  setFlagsFromString('--liftoff-only');
  return import('./admin.js');
};
const openAdmin = async () => (await admin()).openAdminServices(loadConfig());
const knownProjects = async () => (await admin()).knownProjectNames(loadConfig());

function buildProgram(setCode: (code: number) => void): Command {
  const program = new Command('rdev')
    .usage('<command>')
    .description(
      'The rdev control plane. With the embedded database, stop the server before running migrate or keys: one process owns its data folder (the others say which pid has it).',
    )
    .exitOverride()
    .configureOutput({
      // One line for a mistake; the full help only when asked for.
      outputError: (text, write) => write(`rdev: ${text.replace(/^error: /, '')}`),
    });

  program
    .command('serve')
    .description('start the API server (what `npm start` runs)')
    .action(async () => {
      const { serve } = await announceIfSlow(printProgress, 'loading the server…', () => import('./main.js'));
      await serve();
      setCode(-1); // keeps running
    });

  program
    .command('migrate')
    .description('apply pending database migrations and exit')
    .action(async () => {
      const { migrateDatabase } = await admin();
      const applied = await migrateDatabase(loadConfig());
      out(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
    });

  const keysCommand = program
    .command('keys')
    .usage('<command> [options]')
    .description('create, list and revoke API keys')
    .addHelpText('after', `\nScopes: ${SCOPES.join(', ')}`);

  keysCommand
    .command('create')
    .description('create an API key and print it, alone on one line (it is shown once)')
    .option('--name <name>', 'what the key is for (default with --admin: "admin")')
    .option('--scope <scope>', 'a scope the key grants; repeat for several (see Scopes below)', collect)
    .option('--admin', 'grant the admin scope (a new first admin key: `rdev keys create --admin`)')
    .option(
      '--project <name>',
      'limit the key to this project; repeat for several (default: all projects)',
      collect,
    )
    .option('--allow-ip <cidr>', 'accept the key only from this address range; repeat for several', collect)
    .option('--expires <iso-8601>', 'when the key stops working')
    .addHelpText('after', `\nScopes: ${SCOPES.join(', ')}`)
    .action(async (opts) =>
      (await keys()).createKey(
        openAdmin,
        knownProjects,
        {
          ...opts,
          name: opts.name ?? (opts.admin ? 'admin' : undefined),
          scope: [...(opts.admin ? ['admin'] : []), ...(opts.scope ?? [])],
          project: opts.project ?? [],
          allowIp: opts.allowIp ?? [],
        },
        out,
      ),
    );

  keysCommand
    .command('list')
    .description('list keys: a header row, then one tab-separated line per key')
    .option('--all', 'include revoked keys')
    .option('--json', 'print a JSON array instead')
    .action(async (opts) => (await keys()).listKeys(openAdmin, opts, out));

  keysCommand
    .command('revoke')
    .description('revoke a key by its id or by the start of its text as `keys list` shows it')
    .argument(
      '<id-or-prefix>',
      'the key id (as keys list shows it, or its GraphQL global id), or a prefix such as rdev_AbC123 that names one key',
    )
    .action(async (ref: string) => (await keys()).revokeKey(openAdmin, ref, out));

  keysCommand
    .command('generate')
    .description('print a well-formed key text (for RDEV_BOOTSTRAP_ADMIN_KEY); stores nothing')
    .action(async () => (await keys()).generateKey(out));

  return program;
}

export async function main(argv: string[]): Promise<number> {
  let code = 0;
  const program = buildProgram((c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode; // commander already said why
    const message = error instanceof Error ? error.message : String(error);
    // A keys subcommand names itself (`rdev keys create: ...`); serve and migrate say `rdev: ...`.
    const keysCall = program.args[0] === 'keys' && !(error instanceof ConfigError);
    const who = keysCall ? `rdev ${program.args.slice(0, 2).join(' ')}` : 'rdev';
    process.stderr.write(`${who}: ${message}\n`);
    return 1;
  }
}

const code = await main(process.argv.slice(2));
if (code >= 0) process.exit(code);
