import { type Backend, backendRegistry, resolveBackend } from "@deberta/tensor";
import { HeadError } from "./errors.js";

/**
 * How to get the backends this project publishes, for the error a user sees when none is registered. Heads
 * know no backend: this is text only, and an unknown name gets the generic advice.
 */
const knownBackendPackages: Readonly<Record<string, { pkg: string; register: string }>> = {
  cpu: { pkg: "@deberta/backend-cpu", register: "registerCpuBackend" },
  webgpu: { pkg: "@deberta/backend-webgpu", register: "registerWebGpuBackend" },
  cuda: { pkg: "@deberta/backend-cuda", register: "registerCudaBackend" },
};

/**
 * The registry name of a device as transformers spells it: a number N (or a string of digits, as
 * `--device 0` gives) is CUDA device N, registered as "cuda" (N = 0) or "cuda:N"; other names are kept.
 */
export function deviceRegistryName(device: string | number): string {
  const text = String(device).trim();
  if (!/^\d+$/.test(text)) {
    if (typeof device === "number")
      throw new HeadError(
        "HEAD_NO_BACKEND",
        `device: ${device} is not a device number (expected an integer >= 0)`,
        {
          argument: "device",
        },
      );
    return device;
  }
  const n = Number(text);
  return n === 0 ? "cuda" : `cuda:${n}`;
}

/** The one line of code that registers the backend `name`, as shown in errors and the README. */
export function registrationHint(name: string): string {
  const known = knownBackendPackages[/^cuda(:\d+)?$/.test(name) ? "cuda" : name];
  if (known === undefined) {
    return `install the package that provides backend "${name}" and call its register function (registerBackend("${name}", factory) from @deberta/tensor) before loading a model`;
  }
  return `npm install ${known.pkg}, then once before loading a model: import { ${known.register} } from "${known.pkg}"; ${known.register}();`;
}

/**
 * The backend for `device`, from `@deberta/tensor`'s registry. Registration is the caller's wiring (the
 * `deberta` umbrella registers the defaults); when none of the names asked for is registered, a `HeadError`
 * with code `HEAD_NO_BACKEND` says which package to install and the line that registers it. A registered
 * backend that cannot be created here (no GPU, say) keeps its `BackendResolutionError` and the reason.
 *
 * @example
 * ```ts
 * import { registerCpuBackend } from "@deberta/backend-cpu";
 * registerCpuBackend();
 * const backend = await resolveDevice("cpu");
 * ```
 */
export async function resolveDevice(
  device: string | number | readonly (string | number)[],
): Promise<Backend> {
  const names = (typeof device === "string" || typeof device === "number" ? [device] : [...device]).map(
    deviceRegistryName,
  );
  const registered = backendRegistry.names();
  if (names.length > 0 && names.every((name) => !registered.includes(name))) {
    const hints = names.map((name) => `"${name}": ${registrationHint(name)}`).join("; ");
    throw new HeadError(
      "HEAD_NO_BACKEND",
      `device: no backend ${names.map((n) => `"${n}"`).join(" or ")} is registered (registered: ${registered.join(", ") || "none"}). ` +
        `To use it, ${hints} (the "deberta" package registers the CPU and WebGPU backends for you)`,
      { argument: "device" },
    );
  }
  return resolveBackend(names);
}
