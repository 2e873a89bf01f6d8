// Spawned by src/concurrency.test.ts with the built packages: loads a model that owns its backend
// (`device: "cpu"`: the WebAssembly GEMM with its worker threads), starts calls, disposes the model while
// they are in flight, and prints how they settled as one JSON line. It must then exit by itself: no
// process.exit here, a leaked worker or handle keeps it alive and the test fails on its timeout.
import { registerCpuBackend } from "@deberta/backend-cpu";
import { DebertaForSequenceClassification } from "@deberta/heads";
import { randomCalls } from "@deberta/heads/fixture-check";

const [dir] = process.argv.slice(2);
registerCpuBackend({ threads: 2, gemm: "wasm" });
const model = await DebertaForSequenceClassification.from_pretrained(dir, { device: "cpu" });
const calls = randomCalls(model.config, 16, { seed: 7 });
const inFlight = calls.map((inputs) => model(inputs));
model.dispose();
const settled = await Promise.allSettled(inFlight);
const later = await model(calls[0]).then(
  () => "fulfilled",
  (e) => e.code,
);
const codes = settled.map((s) => (s.status === "rejected" ? s.reason.code : "fulfilled"));
console.log(JSON.stringify({ gemm: model.backend.gemm.name, codes, later }));
