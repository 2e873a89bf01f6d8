// What test/browser/page.ts exposes on `window` for src/browser.test.ts to call through page.evaluate:
// plain JSON in and out, since only serializable values cross from Chromium to Node.
import type { FixtureCheck } from "@deberta/heads/fixture-check";

/** The adapter Chromium gave the page, as logged by the first browser test. */
export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  features: string[];
}

/** One conformance case as run in the page. */
export interface PageConformanceResult {
  title: string;
  pass: boolean;
  message: string;
}

/** Title of the entry runConformance() appends after the planned cases: its backend has no tensor left. */
export const NO_TENSOR_LEFT = "leaves no tensor behind";

/** The fixture files the page fetches besides config.json and expected.safetensors. */
export type WeightsFileName = "model.safetensors" | "pytorch_model.bin";

declare global {
  interface Window {
    /** The adapter navigator.gpu hands out, or null where Chromium has none. */
    adapterInfo(): Promise<AdapterSummary | null>;
    /** Loads /fixtures/<variant>/<name> on the page's WebGPU backend and checks it against its reference. */
    runFixture(name: string, weightsFile: WeightsFileName): Promise<FixtureCheck[]>;
    /**
     * Every case of conformancePlan() on a new WebGPU backend (f32), in plan order, then the
     * {@link NO_TENSOR_LEFT} check of that backend.
     */
    runConformance(): Promise<PageConformanceResult[]>;
  }
}
