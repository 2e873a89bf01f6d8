import type { Backend } from "./backend.js";
import { type BackendFailure, BackendResolutionError } from "./errors.js";

export type BackendFactory = () => Backend | Promise<Backend>;

interface Entry {
  name: string;
  factory: BackendFactory;
  priority: number;
}

/**
 * Backends by name. A backend package registers itself explicitly (`registerBackend`), never as an
 * import side effect; the `deberta` umbrella does it for the defaults.
 */
export class BackendRegistry {
  private readonly entries = new Map<string, Entry>();

  register(name: string, factory: BackendFactory, priority = 0): void {
    this.entries.set(name, { name, factory, priority });
  }

  unregister(name: string): void {
    this.entries.delete(name);
  }

  /** Registered names, highest priority first. */
  names(): string[] {
    return this.sorted().map((e) => e.name);
  }

  /**
   * Creates the first backend that works: the ones named (in that order), or every registered backend by
   * descending priority. When none works, the error lists every candidate and why it failed.
   */
  async resolve(names?: string | readonly string[]): Promise<Backend> {
    const requested = names === undefined ? undefined : typeof names === "string" ? [names] : [...names];
    const candidates =
      requested === undefined ? this.sorted() : requested.map((n) => this.entries.get(n) ?? n);
    const failures: BackendFailure[] = [];
    for (const candidate of candidates) {
      if (typeof candidate === "string") {
        failures.push({
          name: candidate,
          reason: `not registered (registered: ${this.names().join(", ") || "none"})`,
        });
        continue;
      }
      try {
        return await candidate.factory();
      } catch (error) {
        failures.push({
          name: candidate.name,
          reason: error instanceof Error ? error.message : String(error),
        });
      }
    }
    throw new BackendResolutionError(failures, requested);
  }

  private sorted(): Entry[] {
    return [...this.entries.values()].sort((a, b) => b.priority - a.priority);
  }
}

/** The process-wide registry behind `registerBackend` / `resolveBackend`. */
export const backendRegistry = new BackendRegistry();

export function registerBackend(name: string, factory: BackendFactory, priority = 0): void {
  backendRegistry.register(name, factory, priority);
}

export function resolveBackend(names?: string | readonly string[]): Promise<Backend> {
  return backendRegistry.resolve(names);
}
