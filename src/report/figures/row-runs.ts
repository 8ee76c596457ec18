/**
 * Runs of equal neighbours along one row of a grid: [start, end) index ranges with their key.
 * Grid figures draw one rectangle per run instead of one per cell, so a smooth field on a
 * 46 x 26 or 60 x 60 grid becomes a few hundred rectangles (smaller SVGs, faster live redraws
 * in the lab). Cells whose key is undefined (missing from the data) are skipped.
 */
export interface RowRun<K> {
  start: number;
  end: number;
  key: K;
}

export function rowRuns<K>(length: number, keyAt: (i: number) => K | undefined): RowRun<K>[] {
  const runs: RowRun<K>[] = [];
  let start = 0;
  let key = length > 0 ? keyAt(0) : undefined;
  for (let i = 1; i <= length; i++) {
    const next = i < length ? keyAt(i) : undefined;
    if (i < length && next === key) continue;
    if (key !== undefined) runs.push({ start, end: i, key });
    start = i;
    key = next;
  }
  return runs;
}
