// A server process for the tests that need one (signals, nginx in front): `node test/serve-process.mjs
// '<ServeOptions as JSON>'` runs the built package's runServer, which is what `deberta serve` runs; its log
// (JSON lines, the listening address among them) goes to stdout and its exit code is runServer's.
import { runServer } from "../dist/index.js";

process.exitCode = await runServer(JSON.parse(process.argv[2] ?? "{}"));
