import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, posix } from 'node:path';

/**
 * Just enough of Docker's build semantics to replay rdev's Dockerfile without a Docker engine:
 * each stage gets a folder standing for its root file system, COPY copies from the build context
 * or an earlier stage, RUN runs in the stage's WORKDIR on this machine. Anything the replay cannot
 * do faithfully is refused with a message instead of being approximated.
 */

export interface Instruction {
  keyword: string;
  /** `--name=value` options before the arguments (COPY --from, --chown). */
  flags: Record<string, string>;
  args: string;
  line: number;
}

export interface Stage {
  index: number;
  name: string | null;
  image: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  /** ARG defaults declared before the first FROM. */
  args: Record<string, string>;
  stages: Stage[];
}

export function parseDockerfile(text: string): Dockerfile {
  const lines = text.split('\n');
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  let pending = '';
  let start = 0;
  lines.forEach((raw, i) => {
    const trimmed = raw.trim();
    if (pending === '' && (trimmed === '' || trimmed.startsWith('#'))) return;
    if (pending !== '' && trimmed.startsWith('#')) return; // comments inside continuations
    if (pending === '') start = i + 1;
    if (trimmed.endsWith('\\')) {
      pending += `${trimmed.slice(0, -1)} `;
      return;
    }
    const full = (pending + trimmed).trim();
    pending = '';
    const [word = '', ...rest] = full.split(/\s+/);
    const keyword = word.toUpperCase();
    let body = full.slice(word.length).trim();
    const flags: Record<string, string> = {};
    for (let m = /^--([a-z-]+)=(\S+)\s*/.exec(body); m; m = /^--([a-z-]+)=(\S+)\s*/.exec(body)) {
      flags[m[1]!] = m[2]!;
      body = body.slice(m[0].length);
    }
    if (keyword === 'FROM') {
      const [image = '', as, name] = body.split(/\s+/);
      stages.push({
        index: stages.length,
        name: as?.toUpperCase() === 'AS' ? (name ?? null) : null,
        image: image.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_, n: string) => args[n] ?? ''),
        instructions: [],
      });
      return;
    }
    if (rest.length === 0) throw new Error(`Dockerfile line ${start}: ${keyword} without arguments`);
    const instruction = { keyword, flags, args: body, line: start };
    const stage = stages.at(-1);
    if (stage) stage.instructions.push(instruction);
    else if (keyword === 'ARG') {
      const [name = '', value = ''] = body.split('=');
      args[name] = value;
    } else throw new Error(`Dockerfile line ${start}: ${keyword} before the first FROM`);
  });
  return { args, stages };
}

/** `A=1 B="two words"` as a map. */
export function parseEnvPairs(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  const pair = /([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|\S*)\s*/y;
  let rest = text.trim();
  while (rest.length > 0) {
    pair.lastIndex = 0;
    const m = pair.exec(rest);
    if (!m) throw new Error(`ENV: cannot read "${rest}" (use NAME=value pairs)`);
    const value = m[2]!;
    env[m[1]!] = value.startsWith('"') ? (JSON.parse(value) as string) : value;
    rest = rest.slice(m[0].length);
  }
  return env;
}

/** An exec-form instruction (`["node", "x.js"]`), or an error for the shell form. */
export function execForm(instruction: Instruction | undefined): string[] | null {
  if (!instruction) return null;
  const parsed: unknown = JSON.parse(instruction.args);
  if (!Array.isArray(parsed) || !parsed.every((p) => typeof p === 'string')) {
    throw new Error(`line ${instruction.line}: ${instruction.keyword} must be a JSON array of strings`);
  }
  return parsed;
}

/** `.dockerignore` patterns (Go filepath.Match plus `**` and `!` exceptions, last match wins). */
export function dockerIgnoreMatcher(text: string): (path: string) => boolean {
  const rules = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const pattern = posix.normalize((negate ? l.slice(1) : l).replace(/^\/+/, ''));
      const source = pattern
        .split(/(\*\*\/?|\*|\?)/)
        .map((part) =>
          part === '**' || part === '**/'
            ? '(?:.*/)?'
            : part === '*'
              ? '[^/]*'
              : part === '?'
                ? '[^/]'
                : part.replace(/[.+^${}()|[\]\\]/g, '\\$&'),
        )
        .join('');
      return { negate, regex: new RegExp(`^${source}$`) };
    });
  return (path) => {
    // A pattern that matches a folder excludes everything below it.
    const prefixes = path.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'));
    let ignored = false;
    for (const rule of rules) {
      if (prefixes.some((p) => rule.regex.test(p))) ignored = !rule.negate;
    }
    return ignored;
  };
}

export interface ReplayOptions {
  /** The build context: a folder holding the files Docker would receive. */
  contextDir: string;
  /** Where stage folders are made. */
  workDir: string;
  /** The environment RUN steps start from (PATH, HOME, npm settings). */
  baseEnv: Record<string, string>;
}

export interface StageResult {
  root: string;
  workdir: string;
  env: Record<string, string>;
  user: string | null;
  entrypoint: string[] | null;
  cmd: string[] | null;
  exposed: string[];
}

/** Replays every stage in order; returns the last one, ready to be started. */
export function replayDockerfile(file: Dockerfile, options: ReplayOptions): StageResult {
  const results: StageResult[] = [];
  const lastIndex = file.stages.length - 1;
  for (const stage of file.stages) {
    const root = join(options.workDir, `stage-${stage.index}`);
    mkdirSync(root, { recursive: true });
    const state: StageResult = {
      root,
      workdir: '/',
      env: {},
      user: null,
      entrypoint: null,
      cmd: null,
      exposed: [],
    };
    const inRoot = (p: string) => join(root, posix.resolve(state.workdir, p));
    for (const ins of stage.instructions) {
      const where = `Dockerfile line ${ins.line} (${ins.keyword})`;
      switch (ins.keyword) {
        case 'WORKDIR':
          state.workdir = posix.resolve(state.workdir, ins.args);
          mkdirSync(inRoot('.'), { recursive: true });
          break;
        case 'ENV':
          Object.assign(state.env, parseEnvPairs(ins.args));
          break;
        case 'COPY': {
          const parts = ins.args.split(/\s+/);
          const dest = parts.pop()!;
          if (parts.length === 0) throw new Error(`${where}: needs a source and a destination`);
          let fromRoot: string;
          if (ins.flags.from !== undefined) {
            const index = file.stages.findIndex(
              (s, i) => i < results.length && (s.name === ins.flags.from || String(i) === ins.flags.from),
            );
            const from = results[index];
            if (!from) throw new Error(`${where}: no earlier stage "${ins.flags.from}"`);
            fromRoot = from.root;
          } else fromRoot = options.contextDir;
          for (const src of parts) {
            if (/[*?[]/.test(src))
              throw new Error(`${where}: wildcards are not replayed; name "${src}" exactly`);
            if (ins.flags.from === undefined && (src.startsWith('/') || src.split('/').includes('..'))) {
              throw new Error(`${where}: "${src}" is outside the build context`);
            }
            const from = join(fromRoot, posix.normalize(src));
            if (!existsSync(from))
              throw new Error(
                `${where}: "${src}" does not exist in the ${ins.flags.from ? `stage ${ins.flags.from}` : 'build context'}`,
              );
            const toDir = dest.endsWith('/') || parts.length > 1;
            if (statSync(from).isDirectory()) {
              // Docker copies a folder's contents, not the folder itself.
              cpSync(from, inRoot(dest), { recursive: true });
            } else {
              const target = toDir ? join(inRoot(dest), basename(src)) : inRoot(dest);
              mkdirSync(join(target, '..'), { recursive: true });
              cpSync(from, target);
            }
          }
          break;
        }
        case 'RUN': {
          if (stage.index === lastIndex) {
            throw new Error(`${where}: the runtime stage holds copies only; do the work in the build stage`);
          }
          if (ins.args.startsWith('[')) throw new Error(`${where}: use the shell form for RUN`);
          // An absolute path would act on this machine rather than on the stage's folder.
          if (/(^|[\s;&|=])\/[A-Za-z0-9]/.test(ins.args)) {
            throw new Error(`${where}: "${ins.args}" uses an absolute path; use paths under WORKDIR`);
          }
          const run = spawnSync('sh', ['-c', ins.args], {
            cwd: inRoot('.'),
            env: { ...options.baseEnv, ...state.env },
            encoding: 'utf8',
            maxBuffer: 64 * 1024 * 1024,
          });
          if (run.status !== 0) {
            const output = `${run.stdout ?? ''}\n${run.stderr ?? ''}`.slice(-6000);
            throw new Error(`${where}: "${ins.args}" exited with ${run.status ?? run.signal}:\n${output}`);
          }
          break;
        }
        case 'USER':
          state.user = ins.args;
          break;
        case 'EXPOSE':
          state.exposed.push(...ins.args.split(/\s+/));
          break;
        case 'ENTRYPOINT':
          state.entrypoint = execForm(ins);
          break;
        case 'CMD':
          state.cmd = execForm(ins);
          break;
        case 'ARG':
        case 'LABEL':
          break;
        default:
          throw new Error(`${where}: not replayed by tests/support/dockerfile.ts`);
      }
    }
    results.push(state);
  }
  const last = results.at(-1);
  if (!last) throw new Error('the Dockerfile has no stage');
  return last;
}

/** The Dockerfile of a folder, parsed. */
export function readDockerfile(dir: string): Dockerfile {
  return parseDockerfile(readFileSync(join(dir, 'Dockerfile'), 'utf8'));
}
