/**
 * Ranking by tiers: an item is placed above another only when it beats it clearly (paired over
 * seeds: beyond a margin and the seed noise, see stats.ts); items that no remaining item beats
 * clearly share a tier, ordered by a fixed key (the caller's: simpler remedies first, then the
 * diagnosis's order). A ranking by the mean alone would order two remedies that differ by
 * seed noise by that noise, so it would change with the round-off of the kernels; tiers only
 * change where a difference sits right at the margin.
 */

export interface Tiered {
  /** Indices of the items, best first. */
  order: number[];
  /** Competition rank of each item (same index as the input): tied items share the rank. */
  rank: number[];
}

/**
 * `beats(a, b)`: item a is clearly better than item b. It must be acyclic (a strict order of
 * some measure, e.g. a mean over seeds with a positive margin), or no tier could be formed.
 * `key(a, b)` orders the items of one tier (negative: a first) and must be a total order.
 */
export function rankInTiers(
  count: number,
  beats: (a: number, b: number) => boolean,
  key: (a: number, b: number) => number,
): Tiered {
  const remaining = new Set(Array.from({ length: count }, (_, i) => i));
  const order: number[] = [];
  const rank = new Array<number>(count).fill(0);
  while (remaining.size > 0) {
    const left = [...remaining];
    let tier = left.filter((i) => !left.some((j) => j !== i && beats(j, i)));
    // a cyclic relation would leave no unbeaten item: fall back to the key alone
    if (tier.length === 0) tier = left;
    tier.sort(key);
    const r = order.length + 1;
    for (const i of tier) {
      rank[i] = r;
      order.push(i);
      remaining.delete(i);
    }
  }
  return { order, rank };
}
