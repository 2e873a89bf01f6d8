import { resolveModelFiles } from "deberta";
import { ProgressBar } from "./progress.js";

/** `deberta download <id>`: fetches a model's files into the Hugging Face cache and prints the folder. */
export async function downloadCommand(reference: string, revision: string | undefined): Promise<string> {
  const bar = new ProgressBar();
  try {
    return await resolveModelFiles(reference, {
      ...(revision === undefined ? {} : { revision }),
      onProgress: (e: { file: string; loaded: number; total?: number }) =>
        bar.update(e.file, e.loaded, e.total),
    });
  } finally {
    bar.done();
  }
}
