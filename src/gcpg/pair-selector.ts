// Preference pairs from scored episodes: within a group of comparable episodes (same task, instruction
// and policy checkpoint, and the same initial state where it is known), rank by score and pair each of
// the top m with each of the bottom m, skipping pairs whose scores are closer than the minimum margin.

export interface RankedEpisode {
  episodeId: string;
  taskId: string;
  instruction: string;
  policyCheckpointId: string;
  /** the initial state's seed, where known */
  seed?: number;
  score: number;
}

export interface PairingOptions {
  /** m: chosen from the top m, rejected from the bottom m (at most half the group each) */
  perSide: number;
  /** a pair's chosen score must exceed its rejected score by at least this */
  minMargin: number;
  /** group by initial state (seed) where episodes have one */
  byInitialState: boolean;
}

export const DEFAULT_PAIRING: PairingOptions = { perSide: 3, minMargin: 0.05, byInitialState: true };

export interface PreferencePair {
  group: string;
  taskId: string;
  chosen: RankedEpisode;
  rejected: RankedEpisode;
  margin: number;
}

export interface PairingGroup {
  key: string;
  taskId: string;
  instruction: string;
  policyCheckpointId: string;
  seed?: number;
  /** best first, rank 1 the best */
  ranked: (RankedEpisode & { rank: number })[];
  pairs: number;
  /** top × bottom pairs left out for a margin under the minimum */
  tooClose: number;
}

export interface Pairing {
  pairs: PreferencePair[];
  groups: PairingGroup[];
}

export class PairSelector {
  constructor(readonly options: PairingOptions = DEFAULT_PAIRING) {
    if (!Number.isInteger(options.perSide) || options.perSide < 1) {
      throw new Error(`pairs per side (m) must be a whole number ≥ 1, got ${options.perSide}`);
    }
    if (!Number.isFinite(options.minMargin) || options.minMargin < 0) {
      throw new Error(`the minimum margin must be ≥ 0, got ${options.minMargin}`);
    }
  }

  select(episodes: readonly RankedEpisode[]): Pairing {
    const groups = new Map<string, RankedEpisode[]>();
    for (const e of episodes) {
      if (!Number.isFinite(e.score))
        throw new Error(`episode ${e.episodeId} has no finite score (${e.score})`);
      const seed = this.options.byInitialState && e.seed !== undefined ? e.seed : undefined;
      const key = JSON.stringify([e.taskId, e.instruction, e.policyCheckpointId, seed ?? null]);
      const group = groups.get(key);
      if (group) group.push(e);
      else groups.set(key, [e]);
    }
    const pairs: PreferencePair[] = [];
    const summaries: PairingGroup[] = [];
    for (const members of groups.values()) {
      const ranked = [...members].sort((a, b) => b.score - a.score || (a.episodeId < b.episodeId ? -1 : 1));
      const m = Math.min(this.options.perSide, Math.floor(ranked.length / 2));
      const first = ranked[0]!;
      const seed = this.options.byInitialState ? first.seed : undefined;
      const label = `${first.taskId} · ${first.policyCheckpointId}${seed !== undefined ? ` · seed ${seed}` : ''} · "${first.instruction}"`;
      let made = 0;
      let tooClose = 0;
      for (const chosen of ranked.slice(0, m)) {
        for (const rejected of ranked.slice(ranked.length - m)) {
          const margin = chosen.score - rejected.score;
          if (margin < this.options.minMargin) {
            tooClose++;
            continue;
          }
          pairs.push({ group: label, taskId: first.taskId, chosen, rejected, margin });
          made++;
        }
      }
      summaries.push({
        key: label,
        taskId: first.taskId,
        instruction: first.instruction,
        policyCheckpointId: first.policyCheckpointId,
        ...(seed !== undefined ? { seed } : {}),
        ranked: ranked.map((e, i) => ({ ...e, rank: i + 1 })),
        pairs: made,
        tooClose,
      });
    }
    summaries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return { pairs, groups: summaries };
  }
}
