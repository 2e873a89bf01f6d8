import { registerCpuBackend } from "@deberta/backend-cpu";
import { backendRegistry } from "@deberta/tensor";

/**
 * Registers the default backends (the CPU backend, as "cpu") unless something named "cpu" is already
 * registered. Idempotent; called by every entry point of this package, never as an import side effect.
 */
export function registerDefaultBackends(): void {
  if (!backendRegistry.names().includes("cpu")) registerCpuBackend();
}
