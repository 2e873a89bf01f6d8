/** Exit codes, as good Unix tools use them; 3: the device asked for (`--device`) cannot be used here. */
export const EXIT = { ok: 0, failure: 1, usage: 2, device: 3 } as const;

/** A command-line mistake: printed with the usage hint, exit code 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/**
 * The backend of `--device` cannot be created here (no NVIDIA driver, no GPU, no Vulkan adapter, package not
 * installed, ...): printed as is, exit code 3. `device` is what the user typed, `backends` the registry names
 * it stands for and `reason` why each failed.
 */
export class DeviceUnavailableError extends Error {
  override readonly name = "DeviceUnavailableError";
  readonly code = "DEVICE_UNAVAILABLE";
  readonly argument = "--device";

  constructor(
    readonly device: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(
      `--device ${device} cannot be used here: ${reason}. Run "deberta env" to see what this machine offers; --device cpu runs on the CPU.`,
      options,
    );
  }
}

export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === "string"
      ? `${error.name} ${code}: ${error.message}`
      : `${error.name}: ${error.message}`;
  }
  return String(error);
}
