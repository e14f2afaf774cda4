import type { Kysely } from 'kysely';
import * as m0001 from './0001_audit_events.js';
import * as m0002 from './0002_api_keys.js';
import * as m0004 from './0004_commands.js';
import * as m0005 from './0005_webhooks.js';
import * as m0006 from './0006_rate_limits.js';
import * as m0007 from './0007_trace_context.js';
import * as m0008 from './0008_webhook_due_order.js';
import * as m0009 from './0009_audit_retention.js';
import * as m0011 from './0011_webhook_trace_context_option.js';
import * as m0012 from './0012_output_bytes.js';
import * as m0013 from './0013_command_input.js';
import * as m0014 from './0014_workspace_changes.js';

export interface Migration {
  name: string;
  up(db: Kysely<any>): Promise<void>;
}

/** Every migration in order. Numbered, forward-only; names are recorded in `rdev_migrations`. */
export const migrations: Migration[] = [
  { name: '0001_audit_events', up: m0001.up },
  { name: '0002_api_keys', up: m0002.up },
  { name: '0004_commands', up: m0004.up },
  { name: '0005_webhooks', up: m0005.up },
  { name: '0006_rate_limits', up: m0006.up },
  { name: '0007_trace_context', up: m0007.up },
  { name: '0008_webhook_due_order', up: m0008.up },
  { name: '0009_audit_retention', up: m0009.up },
  { name: '0011_webhook_trace_context_option', up: m0011.up },
  { name: '0012_output_bytes', up: m0012.up },
  { name: '0013_command_input', up: m0013.up },
  { name: '0014_workspace_changes', up: m0014.up },
];
