#!/usr/bin/env node
// Runs the compiled CLI when present (the container image), otherwise the TypeScript sources
// through tsx (a checkout: `npm ci && npm start` needs no build step).
import { existsSync } from 'node:fs';

const here = new URL('.', import.meta.url);
if (existsSync(new URL('../src/cli.ts', here))) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../src/cli.ts', here).href);
} else {
  await import(new URL('../dist/src/cli.js', here).href);
}
