import { int } from './parsers.js';
import { variable } from './variable.js';

/** How commands are queued, run, stored and stopped, and the Claude Code files of projects. */
export const COMMAND_VARIABLES = {
  RDEV_COMMAND_TIMEOUT_DEFAULT_SECONDS: variable({
    field: 'commands.timeoutDefaultSeconds',
    schema: int(1, 604_800),
    default: '3600',
    doc: 'Timeout of a command that asks for none; past it the command is stopped and ends TIMED_OUT. At most `RDEV_COMMAND_TIMEOUT_MAX_SECONDS`.',
  }),
  RDEV_COMMAND_TIMEOUT_MAX_SECONDS: variable({
    field: 'commands.timeoutMaxSeconds',
    schema: int(1, 604_800),
    default: '86400',
    doc: 'Longest `timeoutSeconds` a command may ask for.',
  }),
  RDEV_PROMPT_MAX_BYTES: variable({
    field: 'commands.promptMaxBytes',
    schema: int(1, 16 * 1024 * 1024),
    default: '1048576',
    doc: 'Largest Claude prompt.',
  }),
  RDEV_COMMAND_INPUT_MAX_BYTES: variable({
    field: 'commands.inputMaxBytes',
    schema: int(1, 16 * 1024 * 1024),
    default: '524288',
    doc: 'Largest piece of input one `sendCommandInput` call may send to a command whose stdin is open (counted after base64 decoding). The request must also fit in `RDEV_MAX_BODY_BYTES`, and base64 adds a third: keep this at most three quarters of it.',
  }),
  RDEV_QUEUE_AGING_SECONDS: variable({
    field: 'commands.queueAgingSeconds',
    schema: int(1, 86_400),
    default: '30',
    doc: 'A queued command gains one priority point per this many seconds of waiting, so low priority cannot starve.',
  }),
  RDEV_OUTPUT_CAP_BYTES: variable({
    field: 'commands.outputCapBytes',
    schema: int(1024, 10 * 1024 * 1024 * 1024),
    default: '52428800',
    doc: 'Stored output per command; past it a SYSTEM event says output was truncated and the command runs on.',
  }),
  RDEV_OUTPUT_CHUNK_BYTES: variable({
    field: 'commands.outputChunkBytes',
    schema: int(256, 1024 * 1024),
    default: '16384',
    doc: 'Largest stored output event.',
  }),
  RDEV_LEASE_TTL_MS: variable({
    field: 'commands.leaseMs',
    schema: int(1000, 600_000),
    default: '15000',
    doc: "How long a replica's claim on a running command, or on a webhook delivery it is sending, lasts without renewal; after it another replica adopts the command or sends the delivery.",
  }),
  RDEV_CLAUDE_WATCHDOG_SECONDS: variable({
    field: 'commands.watchdogSeconds',
    schema: int(0, 86_400),
    default: '600',
    doc: 'A Claude run printing nothing for this long is stopped and fails (0: no watchdog).',
  }),
  RDEV_CANCEL_GRACE_SECONDS: variable({
    field: 'commands.cancelGraceSeconds',
    schema: int(0, 600),
    default: '5',
    doc: 'Between TERM and KILL when a command is cancelled or times out.',
  }),
  RDEV_OUTPUT_RETENTION_SECONDS: variable({
    field: 'commands.retentionSeconds',
    schema: int(0, 315_360_000),
    default: '2592000',
    doc: 'Ended commands older than this are deleted with their stored output and run folders (audit rows stay); 0 keeps them for ever. Default 30 days.',
  }),
  RDEV_DISPATCH_INTERVAL_MS: variable({
    field: 'commands.dispatchIntervalMs',
    schema: int(50, 60_000),
    default: '1000',
    doc: 'Safety-net interval of the dispatcher (it also runs on every queue change), and how often a replica looks for expired leases to adopt.',
  }),
  RDEV_MAX_START_ATTEMPTS: variable({
    field: 'commands.maxStartAttempts',
    schema: int(1, 100),
    default: '5',
    doc: 'Times rdev tries to start a command whose workspace answers but cannot start it; after the last the command ends FAILED. A workspace that cannot be reached at all (circuit open, API timing out) is waited for and uses up no attempt.',
  }),
  RDEV_CLAUDE_CONFIG_MAX_BYTES: variable({
    field: 'claudeConfig.maxFileBytes',
    schema: int(1, 16 * 1024 * 1024),
    default: '262144',
    doc: 'Largest Claude Code command, skill or agent file (UTF-8 bytes) rdev writes or reads; larger writes fail with PAYLOAD_TOO_LARGE. At most 16 MiB; keep it below `RDEV_MAX_BODY_BYTES`.',
  }),
  RDEV_MAX_UPLOAD_BYTES: variable({
    field: 'files.maxUploadBytes',
    schema: int(1, 64 * 1024 * 1024 * 1024),
    default: '104857600',
    doc: 'Largest file (bytes) one `PUT /api/v1/projects/{name}/files/{path}` stores; a larger body is cut off with 413 PAYLOAD_TOO_LARGE and nothing is written. The body streams to disk, so memory does not grow with it.',
  }),
  RDEV_CLAUDE_CONFIG_LIST_MAX_BYTES: variable({
    field: 'claudeConfig.listMaxBytes',
    schema: int(1, 256 * 1024 * 1024),
    default: '4194304',
    doc: 'Most file content one `claudeConfigItems` listing returns; items past it come without content (ask for them by name).',
  }),
};
