// @deberta/testing: private, test-only helpers shared by the workspace packages' tests (see README.md).
export {
  expectedTensor,
  type Fixture,
  type FixtureReaders,
  loadFixture,
  type ReferenceTensor,
} from "./checkpoint.js";
export { findRepoRoot, fixtureCheckpoints, fixturesDir, modelsDir } from "./fixtures-dir.js";
export { type Fp16OverflowCase, fp16OverflowCases } from "./fp16-overflow-cases.js";
export { caseRng, Rng } from "./rng.js";
export { type ScalableWeight, scaledWeights } from "./scaled-weights.js";
