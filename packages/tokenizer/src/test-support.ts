export { fixturesDir } from "@deberta/testing";

/** Converts a code-point offset (what Python reports) into a UTF-16 offset (what JavaScript slices by). */
export function codePointToUtf16(text: string, codePointIndex: number): number {
  let units = 0;
  let points = 0;
  while (points < codePointIndex && units < text.length) {
    const cp = text.codePointAt(units)!;
    units += cp > 0xffff ? 2 : 1;
    points++;
  }
  return units;
}
