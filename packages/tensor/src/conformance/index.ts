export { type ConformanceCase, conformanceCases, type Fill, type InputSpec } from "./cases.js";
export { type ConformanceResult, runConformanceCase } from "./run.js";
