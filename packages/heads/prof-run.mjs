import { createCpuBackend } from "@deberta/backend-cpu";
import { Tensor } from "@deberta/tensor";
import { syntheticDir, syntheticInput } from "./bench/synthetic.mjs";
import { DebertaForSequenceClassification } from "./dist/index.js";
const backend = await createCpuBackend({ threads: 2 });
const model = await DebertaForSequenceClassification.from_pretrained(syntheticDir, { backend });
const inp = syntheticInput(2);
for (let r = 0; r < 2; r++) await model({ input_ids: new Tensor("int64", inp.ids, inp.dims), attention_mask: new Tensor("int64", inp.mask, inp.dims) });
console.profile?.();
const s0 = performance.now();
for (let r = 0; r < 5; r++) {
  await model({ input_ids: new Tensor("int64", inp.ids, inp.dims), attention_mask: new Tensor("int64", inp.mask, inp.dims) });
}
console.log("avg forward ms", ((performance.now() - s0) / 5).toFixed(0));
backend.close();
