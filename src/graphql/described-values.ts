/**
 * Enum values with a description each, for `builder.enumType`: the record type makes a new value
 * without a description a compile error, so GraphiQL's Docs pane never shows a bare value.
 */
export function describedValues<const V extends string>(
  values: readonly V[],
  descriptions: Record<V, string>,
): { [K in V]: { value: K; description: string } } {
  return Object.fromEntries(values.map((value) => [value, { value, description: descriptions[value] }])) as {
    [K in V]: { value: K; description: string };
  };
}
