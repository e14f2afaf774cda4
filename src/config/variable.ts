import type { z } from 'zod';

/** What a variable's `as` may use besides its value. */
export interface FieldContext {
  /** `path` made absolute against the working directory rdev was started in. */
  path(path: string): string;
}

/** One environment variable: how it is checked, documented, and where its value goes in `Config`. */
export interface VariableSpec<S extends z.ZodType = z.ZodType, V = unknown> {
  /** Checks the text and turns it into a value; its messages say what is accepted. */
  schema: S;
  /** The text used when the variable is unset. Without one, unset (or empty) gives the field `null`. */
  default?: string;
  /** What it does, for the configuration reference. */
  doc: string;
  /** A key: a problem with it is reported without its value, which would end up in logs. */
  secret?: true;
  /** Where the value goes in `Config`, a dotted path; none when only combined settings read it. */
  field?: string;
  /** Turns the checked value into the field's value (units, paths). */
  as?(value: z.output<S>, context: FieldContext): V;
}

/**
 * Declares a variable. The function only captures types: the field's path and the value's type
 * become part of `Config`, and `as` is checked against what the schema gives.
 */
export function variable<
  S extends z.ZodType,
  const F extends string | undefined = undefined,
  const D extends string | undefined = undefined,
  V = z.output<S>,
>(spec: {
  schema: S;
  default?: D;
  doc: string;
  secret?: true;
  field?: F;
  as?(value: z.output<S>, context: FieldContext): V;
}): VariableSpec<S, V> & { field: F; default: D } {
  return spec as VariableSpec<S, V> & { field: F; default: D };
}

type AnyVariable = VariableSpec<z.ZodType, unknown> & { default: string | undefined };

/** The checked value of every variable, `undefined` when unset without a default. */
export type Values<T extends Record<string, AnyVariable>> = {
  [K in keyof T]: T[K]['default'] extends string
    ? z.output<T[K]['schema']>
    : z.output<T[K]['schema']> | undefined;
};

type FieldValue<E> = E extends VariableSpec<z.ZodType, infer V> & { default: infer D }
  ? D extends string
    ? V
    : V | null
  : never;

type AtPath<P extends string, V> = P extends `${infer Head}.${infer Rest}`
  ? { [K in Head]: AtPath<Rest, V> }
  : { [K in P]: V };

type Intersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;

/** Flattens intersections of plain objects, for readable types; leaves values alone. */
export type Tidy<T> = T extends Buffer | readonly unknown[] | ((...args: never[]) => unknown)
  ? T
  : T extends object
    ? { [K in keyof T]: Tidy<T[K]> }
    : T;

/** The object the variables of `T` fill in: each at its `field`, with the type its `as` gives. */
export type Fields<T extends Record<string, AnyVariable>> = Intersection<
  { [K in keyof T]: T[K]['field'] extends string ? AtPath<T[K]['field'], FieldValue<T[K]>> : never }[keyof T]
>;
