import { parseArgs } from 'node:util';
import { generateKeyText } from './domain/api-key-text.js';
import { DomainError } from './domain/errors.js';
import { systemPrincipal } from './domain/principal.js';
import { isScope, SCOPES, type Scope } from './domain/scopes.js';
import type { ApiKeyService } from './services/api-key-service.js';

export const KEYS_USAGE = `Usage:
  rdev keys create --name NAME --scope SCOPE... [--project NAME...] [--allow-ip CIDR...] [--expires ISO-8601]
  rdev keys list [--all]
  rdev keys revoke ID
  rdev keys generate        print a well-formed key text (for RDEV_BOOTSTRAP_ADMIN_KEY); stores nothing

Scopes: ${SCOPES.join(', ')}
`;

function toScope(text: string): Scope {
  const normalised = text.includes(':') ? text : text.toLowerCase().replace(/_/g, ':');
  if (!isScope(normalised)) throw new Error(`unknown scope "${text}" (one of: ${SCOPES.join(', ')})`);
  return normalised;
}

/** `rdev keys ...`: returns the exit code. Writes the new key alone on its own line. */
export async function runKeysCommand(
  argv: string[],
  open: () => Promise<{ apiKeys: ApiKeyService; close(): Promise<void> }>,
  out: (line: string) => void,
): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'generate') {
    out(generateKeyText());
    return 0;
  }
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      scope: { type: 'string', multiple: true },
      project: { type: 'string', multiple: true },
      'allow-ip': { type: 'string', multiple: true },
      expires: { type: 'string' },
      all: { type: 'boolean' },
    },
  });
  const actor = systemPrincipal('cli');
  if (sub !== 'create' && sub !== 'list' && sub !== 'revoke') {
    process.stderr.write(KEYS_USAGE);
    return 2;
  }
  const { apiKeys, close } = await open();
  try {
    if (sub === 'create') {
      if (!values.name || !values.scope?.length)
        throw new Error('--name and at least one --scope are required');
      const expiresAt = values.expires ? new Date(values.expires) : null;
      if (expiresAt && Number.isNaN(expiresAt.getTime()))
        throw new Error('--expires must be an ISO-8601 date-time');
      const { apiKey, secret } = await apiKeys.create(actor, {
        name: values.name,
        scopes: values.scope.map(toScope),
        projectNames: values.project?.length ? values.project : null,
        allowedIps: values['allow-ip'] ?? [],
        expiresAt,
      });
      process.stderr.write(
        `created key ${apiKey.id} "${apiKey.name}" (${apiKey.scopes.join(', ')}); the key is shown once:\n`,
      );
      out(secret);
    } else if (sub === 'list') {
      let after: string | null = null;
      do {
        const page = await apiKeys.list(
          actor,
          { includeRevoked: values.all ?? false },
          { first: 100, after },
        );
        for (const k of page.items) {
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
        after = page.hasNextPage ? (page.cursors.at(-1) ?? null) : null;
      } while (after);
    } else {
      const [id] = positionals;
      if (!id) throw new Error('the key id to revoke is required');
      const key = await apiKeys.revoke(actor, id);
      out(`revoked ${key.id}`);
    }
    return 0;
  } catch (error) {
    const message = error instanceof DomainError || error instanceof Error ? error.message : String(error);
    process.stderr.write(`rdev keys ${sub}: ${message}\n`);
    return 1;
  } finally {
    await close();
  }
}
