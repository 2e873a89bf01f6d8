import { resolveModelFiles } from "deberta";
import { ProgressBar } from "./progress.js";

/** Who a download waits for: what the Hub layer reports through `onLockWait`. */
export interface LockWait {
  readonly file: string;
  readonly pid: number | undefined;
  readonly host: string | undefined;
}

/**
 * Tells a person at a terminal why the download pauses: another process downloads the same file. Silent when
 * stderr is not a terminal, so logs and pipes stay clean.
 */
export function lockWaitNotice(stream: NodeJS.WriteStream = process.stderr): (wait: LockWait) => void {
  return ({ file, pid, host }) => {
    if (stream.isTTY !== true) return;
    const holder =
      pid === undefined ? "another process" : `process ${pid}${host === undefined ? "" : ` on ${host}`}`;
    stream.write(`\r\x1b[2K${file}: waiting for ${holder}, which is downloading it already\n`);
  };
}

/** `deberta download <id>`: fetches a model's files into the Hugging Face cache and prints the folder. */
export async function downloadCommand(reference: string, revision: string | undefined): Promise<string> {
  const bar = new ProgressBar();
  try {
    return await resolveModelFiles(reference, {
      ...(revision === undefined ? {} : { revision }),
      onProgress: (e: { file: string; loaded: number; total?: number }) =>
        bar.update(e.file, e.loaded, e.total),
      onLockWait: lockWaitNotice(),
    });
  } finally {
    bar.done();
  }
}
