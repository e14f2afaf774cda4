// Types of server-bundle.mjs, for the tests that import it.
export const ROOT: string;
export function bundleDir(root?: string): string;
export function hasSources(root?: string): boolean;
export function sourceFingerprint(root?: string): string;
export function bundleStaleness(root?: string): string | null;
export function buildBundle(root?: string): Promise<{ files: number }>;
