import { DebertaConfig } from "@deberta/config";
import { readWeightsFile } from "@deberta/hub";
import { type Fixture as FixtureOf, loadFixture as loadFixtureWith } from "@deberta/testing";

export { expectedTensor } from "@deberta/testing";

export type Fixture = FixtureOf<DebertaConfig>;

/** Checkpoint `<fixtures>/models/<name>`: its DebertaConfig and float64 reference (see @deberta/testing). */
export function loadFixture(name: string): Promise<Fixture> {
  return loadFixtureWith(name, {
    readConfig: (dir) => DebertaConfig.from_pretrained(dir),
    readWeights: readWeightsFile,
  });
}
