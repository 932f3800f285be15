// The held-out split: a share of the items, chosen by initial state (task and seed), so that no
// initial state the model trains on is also one it is judged on. Deterministic for a seed: groups
// are ordered by a hash of (seed, group) and the first ones are held out.
import { createHash } from 'node:crypto';

import type { TrainingItem } from './training-set.js';

export interface HeldOutSplit {
  /** Item indices. */
  train: number[];
  heldOut: number[];
}

function rank(seed: number, group: string): string {
  return createHash('sha256').update(`${seed}\u0000${group}`).digest('hex');
}

/**
 * Holds out round(share × groups) groups — at least one when share > 0 and there are two or more,
 * never all of them.
 */
export function splitHeldOut(items: readonly TrainingItem[], share: number, seed: number): HeldOutSplit {
  if (!(share >= 0 && share < 1)) throw new Error(`the held-out share must be in [0, 1), got ${share}`);
  const groups = [...new Set(items.map((i) => i.group))].sort((a, b) =>
    rank(seed, a).localeCompare(rank(seed, b)),
  );
  const count =
    share === 0 || groups.length < 2
      ? 0
      : Math.min(groups.length - 1, Math.max(1, Math.round(share * groups.length)));
  const heldOutGroups = new Set(groups.slice(0, count));
  const split: HeldOutSplit = { train: [], heldOut: [] };
  items.forEach((item, i) => (heldOutGroups.has(item.group) ? split.heldOut : split.train).push(i));
  return split;
}
