import { z } from 'zod';

/**
 * The value parsers of the variables tables: each takes the variable's text and gives the value
 * rdev uses, with a message that says what it accepts. A parser whose input the configuration
 * reference cannot read from its JSON Schema says it in its `description`.
 */

const BOOLEAN_WORDS: Record<string, boolean> = {
  true: true,
  false: false,
  1: true,
  0: false,
  yes: true,
  no: false,
};

export const bool = z
  .string()
  .transform((text, ctx) => {
    const value = BOOLEAN_WORDS[text.trim().toLowerCase()];
    if (value === undefined) {
      ctx.addIssue({ code: 'custom', message: 'must be one of true, false, 1, 0, yes, no (in any case)' });
      return z.NEVER;
    }
    return value;
  })
  .describe('`true` or `false` (also `1`/`0`, `yes`/`no`; in any case)');

export const int = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, { message: `must be a whole number between ${min} and ${max}` })
    .transform(Number)
    .pipe(
      z
        .number()
        .int()
        .min(min, { message: `must be at least ${min}` })
        .max(max, { message: `must be at most ${max}` }),
    );

export const csv = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);

const DURATION_UNITS_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** A comma-separated list of durations with units (`5s,5m,2h`), as milliseconds. */
export const durations = z
  .string()
  .refine((v) => v.trim() === '' || v.split(',').every((d) => /^\s*\d+(ms|s|m|h|d)\s*$/.test(d)), {
    message: 'must be comma-separated durations such as 5s,5m,2h (units ms, s, m, h, d)',
  })
  .transform((v) =>
    v.trim() === ''
      ? []
      : v.split(',').map((d) => {
          const [, n, unit] = /^\s*(\d+)(ms|s|m|h|d)\s*$/.exec(d)!;
          return Number(n) * DURATION_UNITS_MS[unit as keyof typeof DURATION_UNITS_MS];
        }),
  );

/** 32 random bytes in base64: an AES-256 key. */
export const aes256Key = z
  .string()
  .refine((v) => /^[A-Za-z0-9+/]{43}=$/.test(v.trim()), {
    message: 'must be 32 random bytes in base64 (for example the output of `openssl rand -base64 32`)',
  })
  .transform((v) => Buffer.from(v.trim(), 'base64'));

/** `key=value,key=value` with percent-encoded values (the OpenTelemetry list format). */
export const keyValues = z
  .string()
  .refine((v) => v.trim() === '' || v.split(',').every((pair) => /^\s*[^=\s]+\s*=/.test(pair)), {
    message: 'must be comma-separated key=value pairs',
  })
  .transform((v) => {
    const out: Record<string, string> = {};
    for (const pair of v.split(',')) {
      const at = pair.indexOf('=');
      if (at <= 0) continue;
      const value = pair.slice(at + 1).trim();
      let decoded = value;
      try {
        decoded = decodeURIComponent(value);
      } catch {
        // Not percent-encoded after all: keep it as written.
      }
      out[pair.slice(0, at).trim()] = decoded;
    }
    return out;
  });

export const httpUrl = z.string().refine((v) => /^https?:\/\/[^\s/]+/.test(v), {
  message: 'must be an http:// or https:// URL',
});
