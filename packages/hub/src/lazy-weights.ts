/**
 * Weights read tensor by tensor, on demand (Node): the safetensors header is read and validated when the
 * file is opened, and each tensor's bytes only when `get` asks for it, into a buffer of its own. A loader
 * that uploads a weight and drops it (as `from_pretrained` does) then never holds the whole file: peak
 * host memory stays near the size of the model as the backend stores it, not twice that.
 * PyTorch `.bin` checkpoints have no index to seek by and are read whole (see `readWeightsFromDir`).
 */
import type { WeightTensor } from "./dtypes.js";
import { decodeTensorData, isStoredDtype, STORED_DTYPES, UNSUPPORTED_SAFETENSORS_DTYPES } from "./dtypes.js";
import { weightsError } from "./errors.js";
import { importNodeBuiltin } from "./node.js";
import { findWeightFiles, readWeightsFromDir } from "./read-weights.js";
import {
  MAX_SAFETENSORS_HEADER_LENGTH,
  readSafetensorsHeader,
  type SafetensorsEntry,
} from "./safetensors.js";

type Fs = typeof import("node:fs");

interface Located {
  file: string;
  fd: number;
  dataStart: number;
  entry: SafetensorsEntry;
}

/** A read-only map of weights whose tensors are read from disk when first asked for. */
export class LazyWeights implements ReadonlyMap<string, WeightTensor> {
  private closed = false;

  constructor(
    private readonly fs: Fs,
    private readonly located: Map<string, Located>,
    private readonly fds: number[],
  ) {}

  get size(): number {
    return this.located.size;
  }

  has(key: string): boolean {
    return this.located.has(key);
  }

  /** Reads the tensor now (a fresh buffer each call: keep the result if you need it twice). */
  get(key: string): WeightTensor | undefined {
    const at = this.located.get(key);
    if (at === undefined) return undefined;
    if (this.closed) throw weightsError("WEIGHTS_READ", at.file, "the weights were closed", { key });
    const [begin, end] = at.entry.dataOffsets;
    // An ArrayBuffer of its own, so that the float32 view is aligned and can be freed alone.
    const bytes = new Uint8Array(end - begin);
    let done = 0;
    while (done < bytes.length) {
      const n = this.fs.readSync(at.fd, bytes, done, bytes.length - done, at.dataStart + begin + done);
      if (n === 0)
        throw weightsError("WEIGHTS_CORRUPT", at.file, "the file ended inside this tensor's data", { key });
      done += n;
    }
    const dtype = at.entry.dtype;
    if (!isStoredDtype(dtype)) {
      throw weightsError(
        UNSUPPORTED_SAFETENSORS_DTYPES.has(dtype) ? "WEIGHTS_UNSUPPORTED" : "WEIGHTS_CORRUPT",
        at.file,
        `dtype ${dtype} is not supported (supported: ${Object.keys(STORED_DTYPES).join(", ")})`,
        { key },
      );
    }
    return {
      dtype: STORED_DTYPES[dtype].dtype,
      storedDtype: dtype,
      shape: at.entry.shape,
      data: decodeTensorData(bytes, dtype),
    };
  }

  keys(): MapIterator<string> {
    return this.located.keys();
  }

  *entries(): MapIterator<[string, WeightTensor]> {
    for (const key of this.located.keys()) yield [key, this.get(key)!];
  }

  *values(): MapIterator<WeightTensor> {
    for (const key of this.located.keys()) yield this.get(key)!;
  }

  [Symbol.iterator](): MapIterator<[string, WeightTensor]> {
    return this.entries();
  }

  forEach(
    callback: (value: WeightTensor, key: string, map: ReadonlyMap<string, WeightTensor>) => void,
  ): void {
    for (const [key, value] of this.entries()) callback(value, key, this);
  }

  /** Closes the files; further `get` calls throw. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const fd of this.fds) this.fs.closeSync(fd);
  }
}

function readHeader(fs: Fs, fd: number, file: string): ReturnType<typeof readSafetensorsHeader> {
  const size = fs.fstatSync(fd).size;
  const prefix = new Uint8Array(Math.min(size, 8));
  fs.readSync(fd, prefix, 0, prefix.length, 0);
  if (prefix.length < 8) return readSafetensorsHeader(prefix, file, { fileSize: size });
  const view = new DataView(prefix.buffer);
  const headerLength = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
  if (headerLength > MAX_SAFETENSORS_HEADER_LENGTH || 8 + headerLength > size) {
    return readSafetensorsHeader(prefix, file, { fileSize: size });
  }
  const head = new Uint8Array(8 + headerLength);
  fs.readSync(fd, head, 0, head.length, 0);
  return readSafetensorsHeader(head, file, { fileSize: size });
}

/**
 * The weights of a model folder, read lazily when they are safetensors (one file or shards), eagerly
 * otherwise. Close the result (when it is a {@link LazyWeights}) once loading is done.
 */
export async function openWeightsFromDir(
  dir: string,
): Promise<ReadonlyMap<string, WeightTensor> & { close?: () => void }> {
  const found = await findWeightFiles(dir);
  if (found.format !== "safetensors") return readWeightsFromDir(dir);
  const fs = await importNodeBuiltin<Fs>("node:fs");
  const located = new Map<string, Located>();
  const fds: number[] = [];
  try {
    for (const file of found.files) {
      const fd = fs.openSync(file, "r");
      fds.push(fd);
      const header = readHeader(fs, fd, file);
      for (const [key, entry] of header.tensors) {
        const previous = located.get(key);
        if (previous !== undefined)
          throw weightsError("WEIGHTS_CORRUPT", file, `also appears in shard ${previous.file}`, { key });
        located.set(key, { file, fd, dataStart: header.dataStart, entry });
      }
    }
    if (found.weightMap !== undefined) {
      for (const [key, shard] of found.weightMap) {
        const at = located.get(key);
        if (at === undefined || !at.file.endsWith(shard)) {
          throw weightsError(
            "WEIGHTS_CORRUPT",
            at?.file ?? shard,
            `the index ${found.index} places this tensor in ${shard}, which does not hold it`,
            { key },
          );
        }
      }
    }
  } catch (error) {
    for (const fd of fds) fs.closeSync(fd);
    throw error;
  }
  return new LazyWeights(fs, located, fds);
}
