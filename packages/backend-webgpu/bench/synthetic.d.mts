export const repoRoot: string;
export const sharedDir: string;
export function ensureSynthetic(): string;
export function syntheticInput(
  batch: number,
  length?: number,
): { ids: BigInt64Array; mask: BigInt64Array; dims: number[] };
