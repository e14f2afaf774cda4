import { isAbsolute, resolve } from 'node:path';
import { crossCheckProblems } from './config/cross-checks.js';
import { unknownVariableWarnings } from './config/unknown-variables.js';
import type { FieldContext, Fields, Tidy, VariableSpec } from './config/variable.js';
import { CONFIG_VARIABLES, type ConfigValues, combinedSettings } from './config/variables.js';

/**
 * Every setting rdev reads, checked at start. This is the only module that reads `process.env`;
 * everything else receives the parsed `Config`. The variables are stated once, in the tables of
 * `src/config/*-variables.ts`: each names its field in `Config`, which is inferred from them, and
 * `docs/operations/configuration.md` is generated from them (a test fails when the two drift).
 */

export { CONFIG_SECTIONS, CONFIG_VARIABLES } from './config/variables.js';

/** The settings as the rest of rdev reads them. */
export type Config = Tidy<
  Fields<typeof CONFIG_VARIABLES> &
    ReturnType<typeof combinedSettings> & {
      /** Problems that do not stop the start (such as unknown `RDEV_*` variables), to log once. */
      warnings: string[];
    }
>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment. Collects every problem before failing, so one run shows them all. */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  cwd = process.cwd(),
): Config {
  const variables = Object.entries(CONFIG_VARIABLES) as [keyof ConfigValues, VariableSpec][];
  const problems: string[] = [];
  const values: Partial<Record<keyof ConfigValues, unknown>> = {};
  for (const [name, spec] of variables) {
    const raw = env[name] === '' && spec.default === undefined ? undefined : (env[name] ?? spec.default);
    if (raw === undefined) continue;
    const result = spec.schema.safeParse(raw);
    if (result.success) values[name] = result.data;
    else
      problems.push(
        `${name}=${spec.secret ? '(hidden)' : JSON.stringify(raw)}: ${result.error.issues.map((i) => i.message).join('; ')}`,
      );
  }
  problems.push(...crossCheckProblems(values));
  if (problems.length > 0) throw new ConfigError(problems);

  const context: FieldContext = { path: (p) => (isAbsolute(p) ? p : resolve(cwd, p)) };
  const config: Record<string, unknown> = {};
  for (const [name, spec] of variables) {
    if (spec.field === undefined) continue;
    const value = values[name];
    setField(config, spec.field, value === undefined ? null : spec.as ? spec.as(value, context) : value);
  }
  mergeInto(config, combinedSettings(values as ConfigValues, context));
  config.warnings = unknownVariableWarnings(
    env,
    variables.map(([name]) => name),
  );
  return config as Config;
}

function setField(target: Record<string, unknown>, path: string, value: unknown): void {
  const [head, ...rest] = path.split('.') as [string, ...string[]];
  if (rest.length === 0) {
    target[head] = value;
    return;
  }
  target[head] ??= {};
  setField(target[head] as Record<string, unknown>, rest.join('.'), value);
}

function mergeInto(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(source)) {
    const existing = target[key];
    if (isPlainObject(existing) && isPlainObject(value)) mergeInto(existing, value);
    else target[key] = value;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}
