export const SWIFTSHADER_ICD: string;
export const LAVAPIPE_ICD: string;
export function vulkanEnv(preferred?: string[]): Record<string, string>;
