import { stderrIsTerminal } from "./native-stderr.js";

/**
 * A one-line progress bar on stderr, drawn only when stderr is a terminal (so logs and pipes stay clean).
 */
export class ProgressBar {
  private readonly enabled: boolean;
  private lastDraw = 0;

  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    enabled?: boolean,
  ) {
    this.enabled = enabled ?? (stream === process.stderr ? stderrIsTerminal() : stream.isTTY === true);
  }

  update(label: string, done: number, total: number | undefined): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.lastDraw < 100 && (total === undefined || done < total)) return;
    this.lastDraw = now;
    const width = 30;
    const fraction = total ? Math.min(done / total, 1) : 0;
    const bar = total
      ? `[${"#".repeat(Math.round(fraction * width)).padEnd(width, ".")}] ${(fraction * 100).toFixed(0).padStart(3)}%`
      : "";
    const amount = total ? `${formatBytes(done)} / ${formatBytes(total)}` : formatBytes(done);
    this.stream.write(`\r\x1b[2K${label} ${bar} ${amount}`);
  }

  done(): void {
    if (this.enabled) this.stream.write("\r\x1b[2K");
  }
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}
