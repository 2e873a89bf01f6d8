export const repoRoot: string;
export const sharedDir: string;
export const syntheticDir: string;
export function ensureSynthetic(): string;
