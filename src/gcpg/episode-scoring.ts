// Scores the episodes of an episode index, task by task: the task's cost spec (approved, derived by the
// objective's preset, or built in), each episode's recording (policy steps, signals, outcome), the
// TrajectoryScorer, and each score stored in the index with everything it was computed with. An episode
// that cannot be scored is reported with the reason; the others are scored regardless.
import type { Episode, EpisodeIndex, Score } from '../episode/episode-index.js';
import type { CostSpec, Objective } from './cost-spec.js';
import type { CostSpecStore, ResolvedCostSpec } from './cost-spec-store.js';
import { readEpisodeRecording } from './episode-recording.js';
import type { RewardConfig } from './reward-config.js';
import type { RobotSignalConfig } from './robot-signal-config.js';
import {
  TrajectoryScorer,
  type EpisodeEvidence,
  type EpisodeScore,
  type ScoreRecordConfig,
  type ScoringFailure,
} from './trajectory-scorer.js';

export interface ScoreEpisodesOptions {
  taskIds?: readonly string[];
  /** only these episodes (default: every scorable one) */
  episodeIds?: readonly string[];
  objective: Objective;
  reward: RewardConfig;
  /** a spec to use instead of the stored or built-in one (its task must match) */
  spec?: ResolvedCostSpec;
  robotConfig?: RobotSignalConfig;
  /** write the scores to the index (default true) */
  store?: boolean;
  onEpisode?: (episode: Episode) => void;
}

export interface ScoredEpisode {
  episode: Episode;
  score: EpisodeScore;
  /** the index row, when stored */
  stored?: Score;
}

export interface TaskScoring {
  taskId: string;
  specVersion?: string;
  /** where the spec came from, in words */
  provenance?: string;
  spec?: CostSpec;
  config?: ScoreRecordConfig;
  scored: ScoredEpisode[];
  failures: ScoringFailure[];
}

/** Episodes whose bags read back: ended normally, or cut short and repaired. */
const SCORABLE = ['complete', 'incomplete'] as const;

/** The score's terms as the index stores them: R terms (raw and as weighted), stage costs, stages done. */
export function indexTerms(score: EpisodeScore, spec: CostSpec): Record<string, number> {
  const terms: Record<string, number> = {};
  const names = { self: 'R_self', ext: 'R_ext', success: 'I_success' } as const;
  for (const [term, name] of Object.entries(names) as [keyof typeof names, string][]) {
    const raw = score.raw[term];
    if (raw === undefined) continue;
    terms[name] = raw;
    if (score.terms[term] !== raw) terms[`${name}_normalized`] = score.terms[term]!;
  }
  score.stageCosts?.forEach((c, i) => (terms[`stage:${spec.stages[i]!.name}`] = c));
  if (score.evaluation) terms.stages_completed = score.evaluation.completed;
  if (score.policySteps !== undefined) terms.policy_steps = score.policySteps;
  return terms;
}

function successLabel(episode: Episode): EpisodeEvidence['success'] {
  if (episode.outcome === undefined) return undefined;
  return { value: episode.outcome === 'success', source: 'label' };
}

export async function scoreEpisodes(
  index: EpisodeIndex,
  store: CostSpecStore,
  options: ScoreEpisodesOptions,
): Promise<TaskScoring[]> {
  const only = options.episodeIds ? new Set(options.episodeIds) : undefined;
  const episodes = index.episodes({ status: [...SCORABLE] }).filter((e) => !only || only.has(e.id));
  const taskIds = options.taskIds ?? [...new Set(episodes.map((e) => e.taskId))].sort();
  const results: TaskScoring[] = [];
  for (const taskId of taskIds) {
    const own = episodes.filter((e) => e.taskId === taskId);
    const resolved = options.spec ?? store.resolve(taskId, options.objective);
    if (!resolved) {
      const error = `no cost spec for task ${taskId} (objective ${options.objective}): write one with grape costs edit or generate one with grape costs generate, then grape costs approve`;
      results.push({ taskId, scored: [], failures: own.map((e) => ({ episodeId: e.id, error })) });
      continue;
    }
    if (resolved.spec.task !== taskId) {
      throw new Error(`the cost spec given is for task ${resolved.spec.task}, not ${taskId}`);
    }
    const scorer = new TrajectoryScorer(resolved.spec, resolved.version, options.reward);
    const { weights } = options.reward;
    const evidence: EpisodeEvidence[] = [];
    const failures: ScoringFailure[] = [];
    for (const episode of own) {
      options.onEpisode?.(episode);
      try {
        const recording = await readEpisodeRecording(index.bagDir(episode), {
          ...(episode.sourceBag !== undefined ? { sourceBag: episode.sourceBag } : {}),
          ...(options.robotConfig ? { robotConfig: options.robotConfig } : {}),
        });
        const success = successLabel(episode);
        const needsSignals = weights.ext !== 0 || (weights.success !== 0 && !success);
        if (needsSignals && !recording.signals) throw new Error(recording.signalsMissing);
        evidence.push({
          episodeId: episode.id,
          policySteps: recording.policySteps,
          ...(recording.signals ? { signals: recording.signals } : {}),
          ...(success ? { success } : {}),
        });
      } catch (error) {
        failures.push({ episodeId: episode.id, error: (error as Error).message });
      }
    }
    const result = scorer.scoreAll(evidence);
    const byId = new Map(own.map((e) => [e.id, e]));
    const scored = result.scores.map((score): ScoredEpisode => {
      const episode = byId.get(score.episodeId)!;
      if (options.store === false) return { episode, score };
      const stored = index.addScore(episode.id, {
        total: score.total,
        terms: indexTerms(score, resolved.spec),
        config: { ...result.config, ...(score.successSource ? { successSource: score.successSource } : {}) },
        costSpecVersion: resolved.version,
      });
      return { episode, score, stored };
    });
    results.push({
      taskId,
      specVersion: resolved.version,
      provenance: resolved.provenance,
      spec: resolved.spec,
      config: result.config,
      scored,
      failures: [...failures, ...result.failures],
    });
  }
  return results;
}
