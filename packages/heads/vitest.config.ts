import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    // Registers the backend the tests run on: the package itself registers none.
    setupFiles: ["src/test-setup.ts"],
  },
});
