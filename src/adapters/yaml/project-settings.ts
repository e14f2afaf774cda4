import { type Document, isMap, isScalar, type Node, parseDocument } from 'yaml';
import { z } from 'zod';
import {
  COMMAND_TYPES,
  type CommandType,
  MAX_CONCURRENT_COMMANDS_LIMIT,
  MAX_PROJECT_DESCRIPTION_LENGTH,
  type ProjectSettings,
} from '../../domain/project.js';
import { workspaceGlobProblem } from '../../domain/workspace-file.js';

/**
 * The one format of project settings, shared by the Kubernetes ConfigMap (one YAML document per
 * project key) and the local projects file (a YAML map of project name to the same settings).
 * Keys are snake_case because operators write them by hand in YAML.
 */

const LABEL_KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

const labelMap = z.record(
  z.string().max(316).regex(LABEL_KEY, { message: 'must be a Kubernetes label key' }),
  z.string().max(63).regex(LABEL_VALUE, { message: 'must be a Kubernetes label value' }),
);

/** `app=web,tier=api` or `{ app: web, tier: api }`: equality only, like a Deployment's matchLabels. */
const podSelector = z.union([
  labelMap,
  z
    .string()
    .min(1)
    .transform((text, ctx) => {
      const map: Record<string, string> = {};
      for (const part of text.split(',').map((s) => s.trim())) {
        const m = /^([^=!\s]+)\s*==?\s*([^=\s]*)$/.exec(part);
        if (!m) {
          ctx.addIssue({ code: 'custom', message: `"${part}" is not a key=value requirement` });
          return z.NEVER;
        }
        map[m[1]!] = m[2]!;
      }
      return map;
    })
    .pipe(labelMap),
]);

const commandType = z
  .string({ message: 'must be a command type' })
  .transform((s) => s.trim().toUpperCase())
  .pipe(z.enum(COMMAND_TYPES, { message: `must be one of ${COMMAND_TYPES.join(', ')}` }));

const workspacePath = z
  .string()
  .max(4096)
  .refine((p) => p.startsWith('/'), { message: 'must be an absolute path' })
  .refine((p) => !p.includes('\0') && !p.split('/').includes('..'), {
    message: 'must not contain ".." or NUL',
  });

const pathGlobs = z
  .array(
    z.string({ message: 'must be a path glob such as "secrets/**"' }).superRefine((glob, ctx) => {
      const problem = workspaceGlobProblem(glob);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
    { message: 'must be a list of path globs' },
  )
  .max(100, { message: 'must list at most 100 globs' });

/** Workspace paths the file API must not change (`read_only`) or must not show at all (`hidden`). */
const fileRules = z.strictObject({ read_only: pathGlobs, hidden: pathGlobs }).partial();

/** Every setting; each is optional, unknown keys are reported rather than ignored silently. */
export const projectSettingsSchema = z.strictObject({
  description: z.string().max(MAX_PROJECT_DESCRIPTION_LENGTH),
  pod_selector: podSelector,
  workspace: workspacePath,
  allowed_commands: z.array(commandType).max(COMMAND_TYPES.length * 4),
  max_concurrent_commands: z
    .number({ message: 'must be a whole number' })
    .int({ message: 'must be a whole number' })
    .min(1, { message: 'must be at least 1' })
    .max(MAX_CONCURRENT_COMMANDS_LIMIT, { message: `must be at most ${MAX_CONCURRENT_COMMANDS_LIMIT}` }),
  sandbox_network: z.boolean({ message: 'must be true or false' }),
  files: fileRules,
});

type Field = keyof typeof projectSettingsSchema.shape;

/** Settings read from one entry, and what was wrong with it (each problem for a person to fix). */
export interface SettingsRead {
  settings: ProjectSettings;
  problems: string[];
}

/** Largest settings text read; more is refused rather than parsed. */
export const MAX_SETTINGS_TEXT_BYTES = 64 * 1024;

/**
 * Reads one entry. A bad field is reported and left out, so the rest still applies; a bad
 * `allowed_commands` keeps only the valid types. Failing closed matters there: a typo must not
 * widen a project's policy to every command type.
 */
export function readProjectSettings(raw: unknown): SettingsRead {
  if (raw === null || raw === undefined) return { settings: {}, problems: [] };
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    return unreadable('the settings must be a map of setting names to values');
  }
  const problems: string[] = [];
  const settings: ProjectSettings = {};
  const entry = raw as Record<string, unknown>;
  const shape = projectSettingsSchema.shape;
  for (const [key, value] of Object.entries(entry)) {
    if (!(key in shape)) {
      problems.push(`unknown setting "${key}" (known: ${Object.keys(shape).join(', ')})`);
      continue;
    }
    const field = key as Field;
    if (field === 'allowed_commands') {
      settings.allowedCommands = readAllowedCommands(value, problems);
      continue;
    }
    const parsed = shape[field].safeParse(value);
    if (!parsed.success) {
      problems.push(`${field}: ${issueText(parsed.error)}; ignored`);
      continue;
    }
    if (field === 'description') settings.description = parsed.data as string;
    else if (field === 'pod_selector') settings.podSelector = parsed.data as Record<string, string>;
    else if (field === 'workspace') settings.workspace = parsed.data as string;
    else if (field === 'sandbox_network') settings.sandboxNetwork = parsed.data as boolean;
    else if (field === 'files') {
      const rules = parsed.data as z.infer<typeof fileRules>;
      settings.files = { readOnly: rules.read_only ?? [], hidden: rules.hidden ?? [] };
    } else settings.maxConcurrentCommands = parsed.data as number;
  }
  return { settings, problems };
}

function readAllowedCommands(value: unknown, problems: string[]): CommandType[] {
  if (!Array.isArray(value)) {
    problems.push(
      'allowed_commands: must be a list such as [SHELL, GIT]; no command is allowed until it is fixed',
    );
    return [];
  }
  const allowed: CommandType[] = [];
  value.forEach((item, i) => {
    const parsed = commandType.safeParse(item);
    if (parsed.success) {
      if (!allowed.includes(parsed.data)) allowed.push(parsed.data);
    } else {
      problems.push(
        `allowed_commands[${i}]: ${JSON.stringify(item)} is not a command type (${COMMAND_TYPES.join(', ')}); left out`,
      );
    }
  });
  return allowed;
}

/** Reads one YAML document, as a ConfigMap value holds it. */
export function readProjectSettingsYaml(text: string): SettingsRead {
  const doc = parseYaml(text);
  if ('error' in doc) return unreadable(doc.error);
  const duplicates = duplicateKeys(doc.contents);
  if (duplicates.length > 0) return unreadable(`setting ${duplicates.join(', ')} given twice`);
  const value = toJs(() => doc.toJS({ maxAliasCount: MAX_ALIASES }));
  return 'error' in value ? unreadable(value.error) : readProjectSettings(value.value);
}

/**
 * Reads a projects file: a YAML map of project name to settings. A file that cannot be read at
 * all yields `fileProblem`; otherwise each entry is read on its own, and a name given twice keeps
 * its first entry and reports the second.
 */
export function readProjectsFile(text: string): {
  entries: Map<string, SettingsRead>;
  duplicates: string[];
  fileProblem: string | null;
} {
  const entries = new Map<string, SettingsRead>();
  const duplicates: string[] = [];
  const doc = parseYaml(text);
  if ('error' in doc) return { entries, duplicates, fileProblem: doc.error };
  if (doc.contents === null) return { entries, duplicates, fileProblem: null };
  if (!isMap(doc.contents)) {
    return { entries, duplicates, fileProblem: 'the file must be a map of project names to their settings' };
  }
  for (const pair of doc.contents.items) {
    const name = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
    if (entries.has(name)) {
      duplicates.push(name);
      continue;
    }
    const node = pair.value as Node | null;
    const twice = duplicateKeys(node);
    const value = toJs(() => node?.toJS(doc, { maxAliasCount: MAX_ALIASES }) ?? null);
    entries.set(
      name,
      twice.length > 0
        ? unreadable(`setting ${twice.join(', ')} given twice`)
        : 'error' in value
          ? unreadable(value.error)
          : readProjectSettings(value.value),
    );
  }
  return { entries, duplicates, fileProblem: null };
}

const MAX_ALIASES = 50;

function parseYaml(text: string): Document.Parsed | { error: string } {
  if (Buffer.byteLength(text) > MAX_SETTINGS_TEXT_BYTES) {
    return { error: `the YAML is larger than ${MAX_SETTINGS_TEXT_BYTES} bytes` };
  }
  try {
    // Duplicate keys are found below, per entry, so one of them does not void the whole file.
    const doc = parseDocument(text, { uniqueKeys: false });
    const first = doc.errors[0];
    if (first) return { error: `malformed YAML: ${first.message.split('\n')[0]}` };
    return doc;
  } catch (error) {
    return {
      error: `malformed YAML: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
    };
  }
}

/** Converts to plain values; the YAML library throws on alias bombs and similar abuse. */
function toJs(convert: () => unknown): { value: unknown } | { error: string } {
  try {
    return { value: convert() };
  } catch (error) {
    return {
      error: `unusable YAML: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
    };
  }
}

function duplicateKeys(node: unknown): string[] {
  if (!isMap(node)) return [];
  const seen = new Set<string>();
  const twice: string[] = [];
  for (const pair of node.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
    if (seen.has(key)) twice.push(`"${key}"`);
    seen.add(key);
  }
  return twice;
}

function unreadable(reason: string): SettingsRead {
  return {
    settings: { allowedCommands: [] },
    problems: [`${reason}; no command is allowed until it is fixed`],
  };
}

function issueText(error: z.ZodError): string {
  return error.issues
    .map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
}
