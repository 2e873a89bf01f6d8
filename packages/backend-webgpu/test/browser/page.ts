// The page script of src/browser.test.ts, bundled by esbuild for Chromium: the same fixture checks and
// conformance cases as the Node (Dawn) tests, but on navigator.gpu and with files fetched over HTTP.
import { DebertaConfig } from "@deberta/config";
import { headRegistry } from "@deberta/heads";
import { checkFixture, type ReferenceTensor } from "@deberta/heads/fixture-check";
import { readWeightsFromBuffer } from "@deberta/hub";
import { conformancePlan, runConformanceCase } from "@deberta/tensor/conformance";
import { createWebGpuBackend } from "../../src/index.js";
import {
  type AdapterSummary,
  NO_TENSOR_LEFT,
  type PageConformanceResult,
  type WeightsFileName,
} from "./protocol.js";

// One device for every fixture, as fixtures.test.ts shares one in Node: the weights of each model stay on it
// until close, like there.
let backendPromise: ReturnType<typeof createWebGpuBackend> | undefined;
function backend(): ReturnType<typeof createWebGpuBackend> {
  backendPromise ??= createWebGpuBackend();
  return backendPromise;
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${res.statusText}`);
  return new Uint8Array(await res.arrayBuffer());
}

window.adapterInfo = async (): Promise<AdapterSummary | null> => {
  const adapter = await navigator.gpu?.requestAdapter();
  if (!adapter) return null;
  const { vendor, architecture, device, description } = adapter.info;
  return { vendor, architecture, device, description, features: [...adapter.features].sort() };
};

window.runFixture = async (name: string, weightsFile: WeightsFileName) => {
  const base = `/fixtures/${name}`;
  const config = DebertaConfig.from_dict(
    JSON.parse(new TextDecoder().decode(await fetchBytes(`${base}/config.json`))),
    {
      source: `${base}/config.json`,
    },
  );
  const Head = headRegistry.get(config.architectures?.[0] ?? "DebertaModel");
  if (Head === undefined) throw new Error(`no head for ${config.architectures?.[0]}`);
  const weights = await readWeightsFromBuffer(await fetchBytes(`${base}/${weightsFile}`), weightsFile);
  const model = await Head.from_pretrained(base, { backend: await backend(), config, weights });
  try {
    const expected = (await readWeightsFromBuffer(
      await fetchBytes(`${base}/expected.safetensors`),
      "expected.safetensors",
    )) as Map<string, ReferenceTensor>;
    return await checkFixture(model, expected);
  } finally {
    model.dispose();
  }
};

window.runConformance = async () => {
  // Its own device, as conformance.test.ts has in Node: the fixtures' weights stay on theirs until close,
  // so only a fresh backend can show that the cases free every tensor they make.
  const b = await createWebGpuBackend();
  const results: PageConformanceResult[] = [];
  try {
    for (const planned of conformancePlan()) {
      // A case that throws fails alone: the cases after it still run and report.
      try {
        const r = await runConformanceCase(b, planned.case);
        results.push({ title: planned.title, pass: r.pass, message: r.message });
      } catch (e) {
        results.push({ title: planned.title, pass: false, message: `threw: ${(e as Error).stack ?? e}` });
      }
    }
    const left = b.memory().tensors;
    results.push({ title: NO_TENSOR_LEFT, pass: left === 0, message: `${left} tensors left on the backend` });
  } finally {
    b.close();
  }
  return results;
};
