// Preference pairs from the scores in an episode index, task by task: each scorable episode's latest
// score, ranked and paired by the PairSelector, the pairs stored in the index. Scores are only compared
// when they were computed the same way (same spec, weights, α, penalties and normalization batch): the
// task's newest scoring run decides, and episodes last scored otherwise are left out, saying so.
import type { Episode, EpisodeIndex, Pair, Score } from '../episode/episode-index.js';
import { PairSelector, type Pairing, type PairingOptions } from './pair-selector.js';

export interface PairEpisodesOptions {
  taskIds?: readonly string[];
  /** only these episodes (default: every scorable one) */
  episodeIds?: readonly string[];
  pairing: PairingOptions;
  /** the GRAPE iteration the pairs are for, recorded with them */
  iteration?: number;
  /** write the pairs to the index (default true) */
  store?: boolean;
}

export interface TaskPairing {
  taskId: string;
  pairing: Pairing;
  /** the configuration the scores share */
  scoreConfig?: unknown;
  /** left out, and why */
  excluded: { episodeId: string; reason: string }[];
  /** pairs written now */
  stored: Pair[];
  /** pairs that were already in the index for this iteration */
  alreadyStored: number;
}

/** A score's configuration without what legitimately differs per episode. */
function comparable(config: unknown): string {
  const rest: Record<string, unknown> = { ...(config as Record<string, unknown>) };
  delete rest.successSource;
  return JSON.stringify(rest);
}

export function pairEpisodes(index: EpisodeIndex, options: PairEpisodesOptions): TaskPairing[] {
  const selector = new PairSelector(options.pairing);
  const only = options.episodeIds ? new Set(options.episodeIds) : undefined;
  const episodes = index
    .episodes({ status: ['complete', 'incomplete'] })
    .filter((e) => !only || only.has(e.id));
  const taskIds = options.taskIds ?? [...new Set(episodes.map((e) => e.taskId))].sort();
  return taskIds.map((taskId): TaskPairing => {
    const excluded: TaskPairing['excluded'] = [];
    const scored: { episode: Episode; score: Score }[] = [];
    for (const episode of episodes.filter((e) => e.taskId === taskId)) {
      const latest = index.scores(episode.id).at(-1);
      if (episode.outcome === 'aborted') excluded.push({ episodeId: episode.id, reason: 'aborted' });
      else if (!latest) excluded.push({ episodeId: episode.id, reason: 'not scored (grape score)' });
      else scored.push({ episode, score: latest });
    }
    // The task's newest scoring run sets the terms; an episode whose latest score came from another is left out.
    const newest = scored.reduce<Score | undefined>(
      (n, c) => (n === undefined || c.score.id > n.id ? c.score : n),
      undefined,
    );
    const candidates = scored.filter(({ episode, score }) => {
      if (comparable(score.config) === comparable(newest!.config)) return true;
      excluded.push({
        episodeId: episode.id,
        reason: `its latest score was computed differently from the task's newest (spec, weights or normalization batch): grape score --task ${taskId}`,
      });
      return false;
    });
    const pairing = selector.select(
      candidates.map(({ episode, score }) => ({
        episodeId: episode.id,
        taskId,
        instruction: episode.instruction,
        policyCheckpointId: episode.policyCheckpointId,
        ...(episode.seed !== undefined ? { seed: episode.seed } : {}),
        score: score.total,
      })),
    );
    const existing = new Set(
      index
        .pairs({ taskId, ...(options.iteration !== undefined ? { iteration: options.iteration } : {}) })
        .filter((p) => p.iteration === options.iteration)
        .map((p) => `${p.chosenEpisodeId}\u0000${p.rejectedEpisodeId}`),
    );
    const stored: Pair[] = [];
    let alreadyStored = 0;
    for (const pair of pairing.pairs) {
      if (existing.has(`${pair.chosen.episodeId}\u0000${pair.rejected.episodeId}`)) {
        alreadyStored++;
        continue;
      }
      if (options.store === false) continue;
      stored.push(
        index.addPair({
          taskId,
          chosenEpisodeId: pair.chosen.episodeId,
          rejectedEpisodeId: pair.rejected.episodeId,
          chosenScore: pair.chosen.score,
          rejectedScore: pair.rejected.score,
          ...(options.iteration !== undefined ? { iteration: options.iteration } : {}),
        }),
      );
    }
    return {
      taskId,
      pairing,
      ...(newest ? { scoreConfig: newest.config } : {}),
      excluded,
      stored,
      alreadyStored,
    };
  });
}
