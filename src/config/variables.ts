import { ACCESS_VARIABLES } from './access-variables.js';
import { COMMAND_VARIABLES } from './command-variables.js';
import { combinedRuntimeSettings, RUNTIME_VARIABLES } from './runtime-variables.js';
import { combinedServerSettings, SERVER_VARIABLES } from './server-variables.js';
import { combinedTelemetrySettings, TELEMETRY_VARIABLES } from './telemetry-variables.js';
import type { FieldContext, Values } from './variable.js';
import { WEBHOOK_VARIABLES } from './webhook-variables.js';

/** The variables by topic, in the order of the configuration reference. */
export const CONFIG_SECTIONS = [
  { title: 'Server', variables: SERVER_VARIABLES },
  { title: 'Runtime and projects', variables: RUNTIME_VARIABLES },
  { title: 'Commands', variables: COMMAND_VARIABLES },
  { title: 'API keys, limits and audit', variables: ACCESS_VARIABLES },
  { title: 'Webhooks', variables: WEBHOOK_VARIABLES },
  { title: 'Tracing', variables: TELEMETRY_VARIABLES },
] as const;

/** Every environment variable rdev reads, its checks, default, meaning and place in `Config`. */
export const CONFIG_VARIABLES = {
  ...SERVER_VARIABLES,
  ...RUNTIME_VARIABLES,
  ...COMMAND_VARIABLES,
  ...ACCESS_VARIABLES,
  ...WEBHOOK_VARIABLES,
  ...TELEMETRY_VARIABLES,
};

export type ConfigValues = Values<typeof CONFIG_VARIABLES>;

/** The few settings made from more than one variable. */
export function combinedSettings(values: ConfigValues, context: FieldContext) {
  return {
    ...combinedServerSettings(values, context),
    ...combinedRuntimeSettings(values, context),
    ...combinedTelemetrySettings(values),
  };
}
