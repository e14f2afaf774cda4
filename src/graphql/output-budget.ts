import { type GraphQLResolveInfo, Kind, type SelectionSetNode } from 'graphql';
import type { OutputEvent } from '../domain/command.js';
import { ResponseTooLargeError } from '../domain/errors.js';

/**
 * The bytes of command output one response may still carry. Every `Command.output` field of an
 * execution draws on the same budget, however many commands, aliases or `nodes` ask for output, so
 * a cheap-looking query cannot assemble hundreds of megabytes. A subscription executes once per
 * event: each event (its root value) gets a budget of its own.
 */
export class OutputBudget {
  private readonly perRoot = new WeakMap<object, { used: number }>();
  private readonly single = { used: 0 };

  constructor(private readonly maxBytes: number) {}

  /** Counts `bytes` against the execution of `root`; throws RESPONSE_TOO_LARGE past the limit. */
  take(root: unknown, bytes: number): void {
    const spent = this.spentFor(root);
    if (spent.used + bytes > this.maxBytes) {
      throw new ResponseTooLargeError(
        `This response would carry more than ${this.maxBytes} bytes of command output (RDEV_GRAPHQL_MAX_OUTPUT_BYTES). Ask for fewer events with \`output(first:)\` or fewer commands, and page with \`after\`.`,
        { limit: 'RDEV_GRAPHQL_MAX_OUTPUT_BYTES', maxBytes: this.maxBytes },
      );
    }
    spent.used += bytes;
  }

  private spentFor(root: unknown): { used: number } {
    if (typeof root !== 'object' || root === null) return this.single;
    let spent = this.perRoot.get(root);
    if (!spent) {
      spent = { used: 0 };
      this.perRoot.set(root, spent);
    }
    return spent;
  }
}

/**
 * Bytes of UTF-8 an output page puts in the response: its `data`, its `dataBase64`, and the parsed Claude events it
 * repeats as `claude`, each only when the selection asks for it (`seq` alone costs nothing).
 */
export function outputBytes(events: readonly OutputEvent[], info: GraphQLResolveInfo): number {
  const selected = selectedFields(info);
  const data = selected.has('data');
  const base64 = selected.has('dataBase64');
  const claude = selected.has('claude');
  if (!data && !base64 && !claude) return 0;
  let bytes = 0;
  for (const e of events) {
    if (data) bytes += Buffer.byteLength(e.data);
    if (base64) bytes += Math.ceil((e.bytes?.length ?? Buffer.byteLength(e.data)) / 3) * 4;
    if (claude && e.claude != null) bytes += Buffer.byteLength(JSON.stringify(e.claude) ?? '');
  }
  return bytes;
}

/** Names of the fields selected under this field, through inline fragments and fragment spreads. */
function selectedFields(info: GraphQLResolveInfo): Set<string> {
  const names = new Set<string>();
  const seen = new Set<string>();
  const walk = (set: SelectionSetNode | undefined) => {
    for (const selection of set?.selections ?? []) {
      if (selection.kind === Kind.FIELD) names.add(selection.name.value);
      else if (selection.kind === Kind.INLINE_FRAGMENT) walk(selection.selectionSet);
      else if (!seen.has(selection.name.value)) {
        seen.add(selection.name.value);
        walk(info.fragments[selection.name.value]?.selectionSet);
      }
    }
  };
  for (const node of info.fieldNodes) walk(node.selectionSet);
  return names;
}
