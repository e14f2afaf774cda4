import type { ColumnType, Generated } from 'kysely';

/** Row types of rdev's tables, as Kysely sees them. Each migration that adds a table adds it here. */
export interface Database {
  audit_events: AuditEventsTable;
  api_keys: ApiKeysTable;
  api_key_secrets: ApiKeySecretsTable;
  commands: CommandsTable;
  command_input: CommandInputTable;
  rate_limit_windows: { bucket: string; window_start: string; count: number };
  command_output: CommandOutputTable;
  webhooks: WebhooksTable;
  webhook_secrets: WebhookSecretsTable;
  webhook_events: WebhookEventsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
}

export interface ApiKeysTable {
  id: Generated<string>;
  name: string;
  display_prefix: string;
  scopes: string[];
  project_names: string[] | null;
  allowed_ips: ColumnType<string[], string[] | undefined, string[]>;
  expires_at: Date | null;
  created_by: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  revoked_at: Date | null;
  last_used_at: Date | null;
  last_used_ip: string | null;
  rate_limit: ColumnType<number | null, number | null | undefined, number | null>;
}

export interface ApiKeySecretsTable {
  digest: string;
  key_id: string;
  display_prefix: string;
  created_at: Generated<Date>;
  expires_at: Date | null;
}

export interface AuditEventsTable {
  id: Generated<string>;
  at: ColumnType<Date, Date | undefined, never>;
  actor_key_id: string | null;
  actor_component: string | null;
  client_ip: string | null;
  action: string;
  target_type: string;
  target_id: string | null;
  outcome: string;
  details: ColumnType<Record<string, unknown>, string, never>;
  request_id: string | null;
}

export interface WebhooksTable {
  id: string;
  url: string;
  events: string[];
  project_names: string[] | null;
  description: string | null;
  enabled: Generated<boolean>;
  disabled_reason: string | null;
  disabled_at: Date | null;
  failing_since: Date | null;
  send_trace_context: Generated<boolean>;
  created_by_key_id: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface WebhookSecretsTable {
  id: Generated<string>;
  webhook_id: string;
  secret: string;
  created_at: Date;
  expires_at: Date | null;
}

export interface WebhookEventsTable {
  id: Generated<string>;
  message_id: string;
  type: string;
  project_name: string | null;
  body: string;
  created_at: Date;
  /** W3C `traceparent` of the work that produced the event. */
  trace_context: ColumnType<string | null, string | null | undefined, never>;
}

export interface WebhookDeliveriesTable {
  id: Generated<string>;
  webhook_id: string;
  event_id: string;
  status: string;
  attempt_count: Generated<number>;
  failed_automatic_attempts: Generated<number>;
  next_attempt_at: Date | null;
  manual_requested: Generated<boolean>;
  resume_after_manual: Generated<boolean>;
  claim_token: string | null;
  claimed_until: Date | null;
  last_attempt_at: Date | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface WebhookAttemptsTable {
  id: Generated<string>;
  delivery_id: string;
  at: Date;
  manual: boolean;
  succeeded: boolean;
  status_code: number | null;
  duration_ms: number;
  error: string | null;
  response_excerpt: string | null;
}

export interface CommandsTable {
  id: Generated<string>;
  project_name: string;
  type: string;
  status: string;
  priority: number;
  argv: string[];
  prompt: string | null;
  stdin: Buffer | null;
  env: ColumnType<Record<string, string> | null, string | null, string | null>;
  env_names: string[];
  cwd: string | null;
  timeout_seconds: number;
  claude_options: ColumnType<Record<string, unknown> | null, string | null, string | null>;
  claude_session: ColumnType<Record<string, unknown> | null, string | null, string | null>;
  git_status_at_start: ColumnType<unknown[] | null, string | null, string | null>;
  workspace_changes: ColumnType<unknown[] | null, string | null, string | null>;
  idempotency_key: string | null;
  request_hash: string;
  requested_by: string | null;
  created_at: Generated<Date>;
  started_at: Date | null;
  finished_at: Date | null;
  exit_code: number | null;
  signal: string | null;
  error: string | null;
  cancel_requested_at: Date | null;
  stdout_offset: ColumnType<string, number | undefined, number>;
  stderr_offset: ColumnType<string, number | undefined, number>;
  last_seq: Generated<number>;
  stored_bytes: ColumnType<string, number | undefined, number>;
  output_truncated: Generated<boolean>;
  last_output_at: Date | null;
  lease_owner: string | null;
  lease_expires_at: Date | null;
  start_attempts: Generated<number>;
  /** W3C `traceparent` of the request that queued the command. */
  trace_context: ColumnType<string | null, string | null | undefined, never>;
  /** The command's stdin stays open for `sendCommandInput`. */
  open_stdin: Generated<boolean>;
  /** Seq of the last accepted piece of input (0: none). */
  input_seq: Generated<number>;
  /** Bytes of input accepted so far: the byte offset of the next piece. */
  input_bytes: ColumnType<string, number | undefined, number>;
  /** Seq of the last piece written into the run folder. */
  input_delivered_seq: Generated<number>;
  /** An end of input was accepted: no more input. */
  input_eof: Generated<boolean>;
}

/** Accepted input of open-stdin commands, until it is written into the run folder. */
export interface CommandInputTable {
  command_id: string;
  seq: number;
  byte_offset: ColumnType<string, number, never>;
  data: Buffer;
  eof: boolean;
  at: Generated<Date>;
}

export interface CommandOutputTable {
  command_id: string;
  seq: number;
  stream: string;
  data: string;
  /** The exact bytes, when they are not the UTF-8 of `data`; NULL otherwise. */
  bytes: ColumnType<Uint8Array | null, Uint8Array | null | undefined, never>;
  claude: ColumnType<unknown | null, string | null, never>;
  end: ColumnType<Record<string, unknown> | null, string | null, never>;
  at: Generated<Date>;
}
