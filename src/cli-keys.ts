import type { ApiKey } from './domain/api-key.js';
import { generateKeyText } from './domain/api-key-text.js';
import { localId } from './domain/global-id.js';
import { systemPrincipal } from './domain/principal.js';
import { projectNameProblem } from './domain/project.js';
import { isScope, SCOPES, type Scope } from './domain/scopes.js';
import type { ApiKeyService } from './services/api-key-service.js';

// The `rdev keys` subcommands. Arguments are checked before the database opens, so a typo answers
// at once instead of after a migration check.

export interface AdminServices {
  apiKeys: ApiKeyService;
  close(): Promise<void>;
}
export type OpenAdmin = () => Promise<AdminServices>;
/** The project names rdev serves, or `null` when they cannot be known from here. */
export type KnownProjects = () => Promise<string[] | null>;
export type Out = (line: string) => void;

/** A mistake in what the user typed: answered with one line and exit code 1. */
export class UsageError extends Error {}

export function toScope(text: string): Scope {
  const normalised = text.includes(':') ? text : text.toLowerCase().replace(/_/g, ':');
  if (!isScope(normalised)) throw new UsageError(`unknown scope "${text}" (one of: ${SCOPES.join(', ')})`);
  return normalised;
}

async function withServices<T>(open: OpenAdmin, run: (s: AdminServices) => Promise<T>): Promise<T> {
  const services = await open();
  try {
    return await run(services);
  } finally {
    await services.close();
  }
}

export interface CreateOptions {
  name?: string;
  scope: string[];
  project: string[];
  allowIp: string[];
  expires?: string;
}

/** `rdev keys create`: writes the new key alone on its own line of stdout. */
export async function createKey(
  open: OpenAdmin,
  knownProjects: KnownProjects,
  opts: CreateOptions,
  out: Out,
): Promise<void> {
  const name = opts.name;
  if (name === undefined)
    throw new UsageError('--name is required (or --admin, which names the key "admin")');
  if (opts.scope.length === 0) throw new UsageError('at least one --scope (or --admin) is required');
  const scopes = opts.scope.map(toScope);
  for (const project of opts.project) {
    const problem = projectNameProblem(project);
    if (problem) throw new UsageError(`--project "${project}": ${problem}`);
  }
  if (opts.project.length) {
    const known = await knownProjects();
    const unknown = known ? opts.project.filter((p) => !known.includes(p)) : [];
    if (known && unknown.length)
      throw new UsageError(
        `no project named ${unknown.map((p) => `"${p}"`).join(', ')} (projects: ${known.join(', ') || 'none'})`,
      );
  }
  const expiresAt = opts.expires ? new Date(opts.expires) : null;
  if (expiresAt && Number.isNaN(expiresAt.getTime()))
    throw new UsageError('--expires must be an ISO-8601 date-time');
  await withServices(open, async ({ apiKeys }) => {
    const { apiKey, secret } = await apiKeys.create(systemPrincipal('cli'), {
      name,
      scopes: [...new Set(scopes)],
      projectNames: opts.project.length ? opts.project : null,
      allowedIps: opts.allowIp,
      expiresAt,
    });
    process.stderr.write(
      `created key ${apiKey.id} "${apiKey.name}" (${apiKey.scopes.join(', ')}); the key is shown once:\n`,
    );
    out(secret);
  });
}

async function allKeys(apiKeys: ApiKeyService, includeRevoked: boolean): Promise<ApiKey[]> {
  const keys: ApiKey[] = [];
  let after: string | null = null;
  do {
    const page = await apiKeys.list(systemPrincipal('cli'), { includeRevoked }, { first: 100, after });
    keys.push(...page.items);
    after = page.hasNextPage ? (page.cursors.at(-1) ?? null) : null;
  } while (after);
  return keys;
}

const LIST_HEADER = ['ID', 'PREFIX', 'NAME', 'SCOPES', 'PROJECTS', 'STATUS'];

/** `rdev keys list`: a header row then one tab-separated line per key, or a JSON array. */
export async function listKeys(
  open: OpenAdmin,
  opts: { all?: boolean; json?: boolean },
  out: Out,
): Promise<void> {
  const keys = await withServices(open, ({ apiKeys }) => allKeys(apiKeys, opts.all ?? false));
  if (opts.json) {
    out(
      JSON.stringify(
        keys.map((k) => ({
          id: k.id,
          prefix: k.prefix,
          name: k.name,
          scopes: k.scopes,
          projectNames: k.projectNames,
          status: k.revokedAt ? 'revoked' : 'active',
        })),
      ),
    );
    return;
  }
  out(LIST_HEADER.join('\t'));
  for (const k of keys) {
    out(
      [
        k.id,
        k.prefix,
        JSON.stringify(k.name),
        k.scopes.join(','),
        k.projectNames?.join(',') ?? '*',
        k.revokedAt ? 'revoked' : 'active',
      ].join('\t'),
    );
  }
}

/** The visible start of a key, without the ellipsis `keys list` shows after it. */
function bareStart(text: string): string {
  return text.replace(/(…|\.\.\.)$/, '');
}

/**
 * The one active key `ref` names: its id (plain, as `keys list` shows it, or the global id the
 * GraphQL API shows), or the start of its text as `keys list` shows it (`rdev_AbC1…`, with or
 * without the ellipsis, or longer). Refuses an unknown or ambiguous start.
 */
export function findKey(keys: ApiKey[], ref: string): ApiKey {
  const id = idOf(ref);
  const byId = id ? keys.find((k) => k.id === id) : undefined;
  if (byId) return byId;
  const wanted = bareStart(ref);
  const matches = wanted
    ? keys.filter((k) => {
        const shown = bareStart(k.prefix);
        return shown.startsWith(wanted) || wanted.startsWith(shown);
      })
    : [];
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0)
    throw new UsageError(`no active key has the id or prefix "${ref}" (see rdev keys list)`);
  throw new UsageError(
    `the prefix "${ref}" matches ${matches.length} keys (${matches.map((k) => k.id).join(', ')}); give the key's id`,
  );
}

/** The key id `ref` holds, if it is one (any case); null for a key prefix or anything else. */
function idOf(ref: string): string | null {
  try {
    return localId(ref, 'ApiKey');
  } catch {
    return null;
  }
}

/** `rdev keys revoke ID|PREFIX`. */
export async function revokeKey(open: OpenAdmin, ref: string, out: Out): Promise<void> {
  await withServices(open, async ({ apiKeys }) => {
    const key = findKey(await allKeys(apiKeys, false), ref);
    const revoked = await apiKeys.revoke(systemPrincipal('cli'), key.id);
    out(`revoked ${revoked.id}`);
  });
}

/** `rdev keys generate`: a well-formed key text; stores nothing. */
export function generateKey(out: Out): void {
  out(generateKeyText());
}
