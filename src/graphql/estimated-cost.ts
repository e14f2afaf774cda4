import {
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  getNamedType,
  getOperationAST,
  isInterfaceType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  type SelectionNode,
  type ValueNode,
} from 'graphql';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../domain/page.js';

// The weights graphql-armor's validation-time estimate is given too, so that both count alike: a
// leaf costs 1, an object 2 plus its children, times the items asked for. Armor's own default
// multiplies each level by 1.5 more, which made a page of 20 deliveries with 5 attempts each cost
// more than the output of every listed command: cost then tracked depth, not what is fetched.
const SCALAR = 1;
const OBJECT = 2;
export const COST_DEPTH_FACTOR = 1;
const DEPTH_FACTOR = COST_DEPTH_FACTOR;

type Variables = Readonly<Record<string, unknown>> | null | undefined;

/**
 * The cost of an operation as executed, for the cost limit: like graphql-armor's estimate, but a
 * list field is multiplied by the items it will really return, which armor only knows from a
 * literal `first`. Here `first` (or `last`) counts from a variable, from the argument's default in
 * the schema, or as {@link DEFAULT_PAGE_SIZE} when the connection leaves it to the resolver (at most
 * {@link MAX_PAGE_SIZE}, the most a connection serves); and `nodes(ids:)` counts each id.
 * Introspection fields cost nothing, as in armor.
 */
export function estimatedCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Variables,
): number {
  const operation = getOperationAST(document, operationName);
  if (!operation) return 0;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions)
    if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  // A fragment costs the same wherever it is spread (its type is fixed): computed once, so a
  // fragment spread many times over costs no more time than one spread.
  const fragmentCosts = new Map<string, number>();
  const rootType = schema.getRootType(operation.operation) ?? null;

  const cost = (selection: SelectionNode, parent: GraphQLNamedType | null): number => {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value.startsWith('__')) return selection.name.value === '__typename' ? SCALAR : 0;
      const field = fieldOf(parent, selection.name.value);
      if (!selection.selectionSet) return SCALAR;
      const type = field ? getNamedType(field.type) : null;
      let total = OBJECT;
      for (const child of selection.selectionSet.selections) total += DEPTH_FACTOR * cost(child, type);
      return total * multiplier(field, selection.arguments ?? [], operation, variables);
    }
    if (selection.kind === Kind.INLINE_FRAGMENT) {
      const type = selection.typeCondition
        ? (schema.getType(selection.typeCondition.name.value) ?? null)
        : parent;
      let total = OBJECT;
      for (const child of selection.selectionSet.selections) total += DEPTH_FACTOR * cost(child, type);
      return total;
    }
    const name = selection.name.value;
    if (!fragmentCosts.has(name)) {
      fragmentCosts.set(name, 0); // a cycle (refused by validation anyway) ends here
      const fragment = fragments.get(name);
      let total = 0;
      if (fragment) {
        const type = schema.getType(fragment.typeCondition.name.value) ?? null;
        total = OBJECT;
        for (const child of fragment.selectionSet.selections) total += DEPTH_FACTOR * cost(child, type);
      }
      fragmentCosts.set(name, total);
    }
    return SCALAR + DEPTH_FACTOR * fragmentCosts.get(name)!;
  };

  let total = 0;
  for (const selection of operation.selectionSet.selections) total += cost(selection, rootType);
  return total;
}

function fieldOf(parent: GraphQLNamedType | null, name: string): GraphQLField<unknown, unknown> | null {
  if (parent && (isObjectType(parent) || isInterfaceType(parent))) return parent.getFields()[name] ?? null;
  return null;
}

/** How many items a list field will return, as far as its arguments say; at least 1. */
function multiplier(
  field: GraphQLField<unknown, unknown> | null,
  args: readonly { name: { value: string }; value: ValueNode }[],
  operation: OperationDefinitionNode,
  variables: Variables,
): number {
  if (!field) return 1;
  const given = (name: string) => {
    const arg = args.find((a) => a.name.value === name);
    return arg ? resolveValue(arg.value, operation, variables) : undefined;
  };
  for (const name of ['first', 'last']) {
    const def = field.args.find((a) => a.name === name);
    if (!def) continue;
    const value = given(name);
    if (typeof def.defaultValue === 'number')
      return Math.max(1, typeof value === 'number' ? value : def.defaultValue);
    // A connection without a default in the schema pages through `pageArgs`, which serves
    // DEFAULT_PAGE_SIZE items when asked for none and refuses more than MAX_PAGE_SIZE
    // (VALIDATION_FAILED, before any item is read): counted as what it will really serve.
    return Math.max(1, Math.min(typeof value === 'number' ? value : DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE));
  }
  if (field.args.some((a) => a.name === 'ids')) {
    const ids = given('ids');
    return Array.isArray(ids) ? Math.max(1, ids.length) : 1;
  }
  return 1;
}

/** A literal argument's value, or its variable's (sent, else the variable's default). */
function resolveValue(value: ValueNode, operation: OperationDefinitionNode, variables: Variables): unknown {
  switch (value.kind) {
    case Kind.INT:
      return Number.parseInt(value.value, 10);
    case Kind.LIST:
      return value.values;
    case Kind.VARIABLE: {
      const name = value.name.value;
      if (variables && Object.hasOwn(variables, name) && variables[name] !== null) return variables[name];
      const def = operation.variableDefinitions?.find((v) => v.variable.name.value === name)?.defaultValue;
      return def ? resolveValue(def, operation, variables) : undefined;
    }
    default:
      return undefined;
  }
}
