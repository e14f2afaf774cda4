// Formats generated Markdown with the project's Biome, so the committed file is both what the
// generator writes and what `biome check` accepts.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const biome = fileURLToPath(new URL('../node_modules/.bin/biome', import.meta.url));

/** `text` as Biome formats the Markdown file at `path` (relative to the repository root). */
export function formatMarkdown(text: string, path: string): string {
  const run = spawnSync(biome, ['format', `--stdin-file-path=${path}`], {
    cwd: root,
    input: text,
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`biome format ${path} failed: ${run.stderr}`);
  return run.stdout;
}
