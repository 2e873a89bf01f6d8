export {
  type ConformanceCase,
  conformanceCases,
  conformancePlan,
  type Fill,
  type InputSpec,
  type PlannedCase,
  type Tolerance,
} from "./cases.js";
export { type ConformanceOptions, type ConformanceResult, runConformanceCase } from "./run.js";
