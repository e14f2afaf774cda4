// Writes docs/operations/configuration.md from the variables tables in src/config/; with --check,
// fails when the file differs. tests/unit/docs-drift.test.ts runs the same comparison.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { z } from 'zod';
import type { VariableSpec } from '../src/config/variable.js';
import { CONFIG_SECTIONS } from '../src/config.js';
import { formatMarkdown } from './gen-docs-format.js';

export const CONFIGURATION_DOC = fileURLToPath(
  new URL('../docs/operations/configuration.md', import.meta.url),
);

interface JsonSchema {
  type?: string;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  pattern?: string;
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  return z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
}

const number = new Intl.NumberFormat('en-US');

/** What a variable accepts, read from its zod schema: the text it takes and what that becomes. */
function accepts(schema: z.ZodType): string {
  if (schema.description) return schema.description;
  const input = jsonSchema(schema, 'input');
  const output = jsonSchema(schema, 'output');
  if (output.type === 'integer') {
    return `whole number, ${number.format(output.minimum ?? 0)} to ${number.format(output.maximum ?? Number.MAX_SAFE_INTEGER)}`;
  }
  if (input.enum) {
    const values = input.enum.map((v) => `\`${String(v)}\``);
    return `one of ${values.join(', ')}`;
  }
  if (input.pattern) return `text matching \`${input.pattern}\``;
  if (input.minLength) return 'non-empty text';
  return 'text';
}

function renderVariable(name: string, spec: VariableSpec): string {
  const fallback =
    spec.default === undefined ? 'unset' : spec.default === '' ? 'empty' : `\`${spec.default}\``;
  return `### \`${name}\`\n\nDefault: ${fallback}. Accepts: ${accepts(spec.schema)}.\n\n${spec.doc}\n`;
}

export function renderConfigurationDoc(): string {
  const sections = CONFIG_SECTIONS.map(({ title, variables }) => {
    const entries = Object.entries(variables as Record<string, VariableSpec>).map(([name, spec]) =>
      renderVariable(name, spec),
    );
    return `## ${title}\n\n${entries.join('\n')}`;
  });
  return formatMarkdown(
    `# Configuration reference

<!-- Generated from the variables tables in src/config/ by \`npm run docs:config\`. Do not edit
by hand: change the \`doc\` of the variable and run the script again. -->

rdev reads its settings from environment variables only; every one is optional. At start each
value is checked, and when any is wrong the server prints one message naming **every** bad
variable and what it accepts, then exits with status 1 (nothing starts half-configured). The
\`rdev migrate\` and \`rdev keys\` commands read the same variables. A variable whose name starts
with \`RDEV_\` but is none of these is named in one warning when the server starts, with the
closest name rdev knows (\`RDEV_PORT\`: did you mean \`PORT\`?); \`RDEV_URL\` and \`RDEV_KEY\`,
which the client examples use, are left alone.

An empty value counts as unset for variables without a default. Durations and sizes are plain
whole numbers in the unit the name ends with (\`_MS\`, \`_SECONDS\`, \`_HOURS\`, \`_BYTES\`), except
\`RDEV_WEBHOOK_RETRY_SCHEDULE\`, which takes units.

In Kubernetes, set them in the Deployment's \`env\` (\`manifests/base/deployment.yaml\`); secrets
such as \`DATABASE_URL\` and \`RDEV_BOOTSTRAP_ADMIN_KEY\` come from Secret references (see
[deployment](deployment.md)).

${sections.join('\n')}`,
    'docs/operations/configuration.md',
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rendered = renderConfigurationDoc();
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(CONFIGURATION_DOC, 'utf8');
    } catch {
      // missing counts as stale
    }
    if (current !== rendered) {
      process.stderr.write(
        'docs/operations/configuration.md is stale: run `npm run docs:config` and commit the result.\n',
      );
      process.exit(1);
    }
    process.stdout.write('docs/operations/configuration.md is up to date\n');
  } else {
    writeFileSync(CONFIGURATION_DOC, rendered);
    process.stdout.write('wrote docs/operations/configuration.md\n');
  }
}
