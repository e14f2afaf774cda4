import { readFileSync } from 'node:fs';
import { printSchema } from 'graphql';
import { expect, it } from 'vitest';
import { schema } from '../../src/graphql/schema.js';

it('schema/schema.graphql is the printed, sorted schema of the code', () => {
  const committed = readFileSync(new URL('../../schema/schema.graphql', import.meta.url), 'utf8');
  expect(committed, 'run `npm run schema:print`').toBe(`${printSchema(schema)}\n`);
});
