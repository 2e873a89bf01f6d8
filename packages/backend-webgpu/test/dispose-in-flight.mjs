// Spawned by src/concurrency.test.ts with the built packages: loads a model that owns its WebGPU backend
// (`device: "webgpu"`: dispose() closes the backend and destroys its device), starts calls, disposes the
// model while their reads are in flight, and prints how they settled as one JSON line. It must then exit by
// itself: no process.exit here, a pending map or a live device keeps it alive and the test fails on its
// timeout.
import { DebertaForSequenceClassification } from "@deberta/heads";
import { randomCalls } from "@deberta/heads/fixture-check";
import { registerWebGpuBackend } from "../dist/index.js";

const [dir] = process.argv.slice(2);
registerWebGpuBackend();
const model = await DebertaForSequenceClassification.from_pretrained(dir, { device: "webgpu" });
const calls = randomCalls(model.config, 8, { seed: 7, maxLength: 16 });
const inFlight = calls.map((inputs) => model(inputs));
model.dispose();
const settled = await Promise.allSettled(inFlight);
const later = await model(calls[0]).then(
  () => "fulfilled",
  (e) => e.code,
);
const codes = settled.map((s) => (s.status === "rejected" ? s.reason.code : "fulfilled"));
console.log(JSON.stringify({ backend: model.backend.name, codes, later, memory: model.backend.memory() }));
