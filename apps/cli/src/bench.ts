import { AutoModel, createCpuBackend, Tensor } from "deberta";

export interface BenchOptions {
  model: string;
  batch: number;
  length: number;
  threads: number | undefined;
  repeats: number;
  revision: string | undefined;
}

/** `deberta bench`: load time and median ms per forward of a model on the CPU backend, as JSON. */
export async function benchCommand(o: BenchOptions): Promise<Record<string, unknown>> {
  const backend = await createCpuBackend(o.threads === undefined ? {} : { threads: o.threads });
  const start = performance.now();
  const model = await AutoModel.from_pretrained(o.model, {
    backend,
    ...(o.revision === undefined ? {} : { revision: o.revision }),
  });
  const loadMs = performance.now() - start;
  const vocab = model.config.vocab_size;
  const ids = BigInt64Array.from({ length: o.batch * o.length }, (_, i) =>
    BigInt(i % o.length === 0 ? 1 : 5 + ((i * 7919) % Math.max(vocab - 5, 1))),
  );
  const inputs = { input_ids: new Tensor("int64", ids, [o.batch, o.length]) };
  await model(inputs);
  const times: number[] = [];
  for (let r = 0; r < o.repeats; r++) {
    const t = performance.now();
    await model(inputs);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const result = {
    model: o.model,
    engine: backend.engine.name,
    batch: o.batch,
    length: o.length,
    loadMs: Math.round(loadMs),
    medianMs: Math.round(times[Math.floor(times.length / 2)]! * 10) / 10,
    samplesMs: times.map((t) => Math.round(t * 10) / 10),
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
  };
  backend.close();
  return result;
}
