import type { Command } from './command.js';
import { encodeGlobalId } from './global-id.js';

/**
 * A command as JSON, the one place its fields are written out for a client: the legacy REST
 * API shows all of it, webhook receivers a summary. Dates are ISO 8601 text. Never the
 * environment's values or stdin: a command holds only their names.
 */
export function commandJson(c: Command, queuePosition: number | null) {
  return {
    id: c.id,
    /** The id GraphQL shows, for `command(id:)` and `node(id:)`; the plain `id` is accepted there too. */
    globalId: encodeGlobalId('Command', c.id),
    projectName: c.projectName,
    type: c.type,
    status: c.status,
    priority: c.priority,
    queuePosition,
    argv: c.argv,
    prompt: c.prompt,
    cwd: c.cwd,
    envNames: c.envNames,
    timeoutSeconds: c.timeoutSeconds,
    exitCode: c.exitCode,
    signal: c.signal,
    error: c.error,
    createdAt: c.createdAt.toISOString(),
    startedAt: c.startedAt?.toISOString() ?? null,
    finishedAt: c.finishedAt?.toISOString() ?? null,
    idempotencyKey: c.idempotencyKey,
    lastSeq: c.lastSeq,
    outputTruncated: c.outputTruncated,
    claudeSession: c.claudeSession,
  };
}

/** What webhook receivers learn about a command: its identity, status and times, nothing it ran. */
const WEBHOOK_FIELDS = [
  'id',
  'globalId',
  'projectName',
  'type',
  'status',
  'priority',
  'exitCode',
  'signal',
  'error',
  'createdAt',
  'startedAt',
  'finishedAt',
] as const;

export function commandWebhookData(c: Command): Record<string, unknown> {
  const json = commandJson(c, null);
  return Object.fromEntries(WEBHOOK_FIELDS.map((field) => [field, json[field]]));
}
