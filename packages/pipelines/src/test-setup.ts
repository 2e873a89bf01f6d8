// Test wiring (vitest's setupFiles), as an application's own start-up would do it: this package knows no
// backend and registers none, so its tests register the one they run on here and resolve it by name.
import { registerCpuBackend } from "@deberta/backend-cpu";

registerCpuBackend();
