import {
  createSourceEventStream,
  type DocumentNode,
  type ExecutionResult,
  type FieldNode,
  type GraphQLSchema,
  getOperationAST,
  isLeafType,
  Kind,
  type SelectionSetNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { COMMAND_END_WIRE, OUTPUT_EVENT_WIRE, type WireField } from '../domain/output-event-wire.js';

/** How one field of an output event (or of its `end`) is read, and the GraphQL type it has. */
interface FieldSpec {
  type: string;
  get(source: Record<string, unknown>): unknown;
  /** For an object-typed field: the fields of that type. */
  fields?: Record<string, FieldSpec>;
}

/**
 * The fields of CommandOutputEvent and CommandEnd, from the one wire table they are built from
 * (`types/command-output.ts`): every one resolves to the event's (or the end's) own property, or
 * to what the field's `read` makes of the event.
 */
function specsOf(table: Record<string, WireField>): Record<string, FieldSpec> {
  return Object.fromEntries(
    Object.entries(table).map(([name, field]) => [
      name,
      {
        type: field.type,
        get: field.read
          ? (source: Record<string, unknown>) => field.read!(source as never)
          : (source: Record<string, unknown>) => source[name] ?? null,
        ...(field.type === 'CommandEnd' ? { fields: specsOf(COMMAND_END_WIRE) } : {}),
      },
    ]),
  );
}
const OUTPUT_EVENT = specsOf(OUTPUT_EVENT_WIRE);

type Shape = (source: Record<string, unknown>) => Record<string, unknown>;

/**
 * Builds the result of a `commandOutput` event for one subscription's selection without a GraphQL
 * execution per event. Replaying a long output ran the whole executor (field collection, resolver
 * wrappers, completion) for each of thousands of events, and every subscriber of a running command
 * did the same for every event; every field here is a property of the stored event, so the result
 * is those properties serialised by the schema's own scalars and enums. Only plain selections are
 * planned: fields and `__typename`, no fragments, directives or arguments; anything else is
 * executed as usual.
 */
export function planCommandOutput(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName?: string | null,
): ((event: object) => ExecutionResult) | null {
  const operation = getOperationAST(document, operationName);
  if (operation?.operation !== 'subscription' || operation.selectionSet.selections.length !== 1) return null;
  const root = operation.selectionSet.selections[0]!;
  if (root.kind !== Kind.FIELD || root.name.value !== 'commandOutput' || root.directives?.length) return null;
  if (schema.getSubscriptionType()?.getFields().commandOutput?.type.toString() !== 'CommandOutputEvent!')
    return null;
  const shape = root.selectionSet && compile(schema, 'CommandOutputEvent', root.selectionSet, OUTPUT_EVENT);
  if (!shape) return null;
  const key = root.alias?.value ?? root.name.value;
  return (event) => ({ data: { [key]: shape(event as Record<string, unknown>) } });
}

function compile(
  schema: GraphQLSchema,
  typeName: string,
  selectionSet: SelectionSetNode,
  specs: Record<string, FieldSpec>,
): Shape | null {
  const fields: [string, (source: Record<string, unknown>) => unknown][] = [];
  const seen = new Map<string, string>();
  for (const selection of selectionSet.selections) {
    if (selection.kind !== Kind.FIELD) return null;
    const field: FieldNode = selection;
    if (field.directives?.length || field.arguments?.length) return null;
    const key = field.alias?.value ?? field.name.value;
    const name = field.name.value;
    // A response key chosen twice is one field (validation made them the same); only leaves are
    // merged here, an object field selected twice would need its selections merged.
    if (seen.has(key)) {
      if (seen.get(key) !== name || specs[name]?.fields) return null;
      continue;
    }
    seen.set(key, name);
    if (name === '__typename') {
      fields.push([key, () => typeName]);
      continue;
    }
    const spec = Object.hasOwn(specs, name) ? specs[name] : undefined;
    if (!spec) return null;
    if (spec.fields) {
      const nested = field.selectionSet && compile(schema, spec.type, field.selectionSet, spec.fields);
      if (!nested) return null;
      fields.push([
        key,
        (source) => {
          const value = spec.get(source);
          return value === null ? null : nested(value as Record<string, unknown>);
        },
      ]);
      continue;
    }
    const type = schema.getType(spec.type);
    if (!isLeafType(type) || field.selectionSet) return null;
    fields.push([
      key,
      (source) => {
        const value = spec.get(source);
        return value === null ? null : type.serialize(value);
      },
    ]);
  }
  return (source) => {
    const out: Record<string, unknown> = {};
    for (const [key, read] of fields) out[key] = read(source);
    return out;
  };
}

/**
 * The envelop plugin: a planned `commandOutput` subscription gets its source stream as usual (the
 * field's `subscribe`, with its authorisation), and each event is mapped through the plan instead
 * of being executed. Placed before the plugins that wrap the subscribe function (tracing, the
 * subscription guard), so they wrap this one.
 */
export function useCommandOutputPlan(): Plugin {
  const plans = new WeakMap<DocumentNode, Map<string, ReturnType<typeof planCommandOutput>>>();
  const planFor = (schema: GraphQLSchema, document: DocumentNode, operationName?: string | null) => {
    let byName = plans.get(document);
    if (!byName) {
      byName = new Map();
      plans.set(document, byName);
    }
    const name = operationName ?? '';
    if (!byName.has(name)) byName.set(name, planCommandOutput(schema, document, operationName));
    return byName.get(name) ?? null;
  };
  return {
    onSubscribe({ args, setSubscribeFn }) {
      const plan = planFor(args.schema, args.document, args.operationName);
      if (!plan) return;
      setSubscribeFn(async (subscribeArgs) => {
        const source = await createSourceEventStream(subscribeArgs);
        if (!(Symbol.asyncIterator in source)) return source as ExecutionResult;
        return mapEvents(source as AsyncIterable<object>, plan) as never;
      });
    },
  };
}

function mapEvents(
  source: AsyncIterable<object>,
  plan: (event: object) => ExecutionResult,
): AsyncIterableIterator<ExecutionResult> {
  const iterator = source[Symbol.asyncIterator]();
  return {
    next: () =>
      iterator
        .next()
        .then((r) => (r.done ? { done: true, value: undefined } : { done: false, value: plan(r.value) })),
    async return() {
      await iterator.return?.();
      return { done: true, value: undefined };
    },
    async throw(error?: unknown) {
      if (iterator.throw) await iterator.throw(error);
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
