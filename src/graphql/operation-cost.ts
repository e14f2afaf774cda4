import { type DocumentNode, getOperationAST, Kind, type SelectionSetNode } from 'graphql';

/**
 * What an operation weighs for rate limiting: one unit per ten fields selected (aliases count as
 * fields, fragments are expanded once), at least one. A query of many aliased fields costs more
 * than a small one; a subscription costs its selection once, when it starts.
 */
export function operationCost(document: DocumentNode, operationName?: string | null): number {
  const op = getOperationAST(document, operationName);
  if (!op) return 1;
  const fragments = new Map(
    document.definitions
      .filter((d) => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((d) => [d.name.value, d.selectionSet] as const),
  );
  const seen = new Set<string>();
  const count = (set: SelectionSetNode): number => {
    let n = 0;
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) n += 1 + (sel.selectionSet ? count(sel.selectionSet) : 0);
      else if (sel.kind === Kind.INLINE_FRAGMENT) n += count(sel.selectionSet);
      else if (!seen.has(sel.name.value)) {
        seen.add(sel.name.value);
        const frag = fragments.get(sel.name.value);
        if (frag) n += count(frag);
      }
    }
    return n;
  };
  return Math.max(1, Math.ceil(count(op.selectionSet) / 10));
}
