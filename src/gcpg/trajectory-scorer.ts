// The GCPG score of a task's trajectories (DESIGN.md, "The algorithm"):
//   R = w_self·R_self + w_ext·R_ext + w_success·I_success
//   R_ext = Π_stages exp(-α·max(0, C_stage − τ_stage)), with C of a stage never reached = the
//           unreached-stage cost (and reached stages capped at it);
//   R_self = mean (or sum) of the untempered per-step log-likelihood over the policy's own steps;
//   I_success = the technician's label or the simulator's verdict, else the spec's stages all done.
// Scores one task's episodes together, so per-task normalization sees the whole batch.
import { CostEvaluator, type CostEvaluation } from './cost-evaluator.js';
import type { CostSpec } from './cost-spec.js';
import { checkRewardConfig, type Normalization, type RewardConfig } from './reward-config.js';
import type { TrajectorySignals } from './trajectory-signals.js';

export interface PolicyStepLogp {
  logp: number;
  /** PolicyStep.flags: 0 for the policy's own steps */
  flags: number;
}

export type SuccessSource = 'label' | 'simulator' | 'stages';

export interface EpisodeEvidence {
  episodeId: string;
  /** needed for R_ext, and for I_success when there is no label */
  signals?: TrajectorySignals;
  /** every logged step; needed for R_self */
  policySteps?: readonly PolicyStepLogp[];
  success?: { value: boolean; source: Exclude<SuccessSource, 'stages'> };
}

export type RewardTerm = 'self' | 'ext' | 'success';
export const REWARD_TERMS: readonly RewardTerm[] = ['self', 'ext', 'success'];

export interface EpisodeScore {
  episodeId: string;
  evaluation?: CostEvaluation;
  /** per stage, the C that entered R_ext (capped; the penalty where unreached) */
  stageCosts?: number[];
  /** the terms that are on (weight ≠ 0), before normalization */
  raw: Partial<Record<RewardTerm, number>>;
  /** after per-task normalization (equal to raw without it) */
  terms: Partial<Record<RewardTerm, number>>;
  successSource?: SuccessSource;
  /** policy steps R_self was computed over */
  policySteps?: number;
  total: number;
}

export interface NormalizationStats {
  mode: Normalization;
  /** per term: the batch's centre and scale ((x − centre) / scale) */
  terms: Partial<Record<RewardTerm, { centre: number; scale: number }>>;
}

/** Everything a score was computed with, recorded beside it. */
export interface ScoreRecordConfig extends RewardConfig {
  task: string;
  objective: string;
  costSpec: string;
  stages: { name: string; tau: number }[];
  normalizationStats: NormalizationStats;
}

export interface ScoringFailure {
  episodeId: string;
  error: string;
}

export interface TaskScores {
  scores: EpisodeScore[];
  failures: ScoringFailure[];
  config: ScoreRecordConfig;
}

export class TrajectoryScorer {
  private readonly evaluator: CostEvaluator;

  constructor(
    readonly spec: CostSpec,
    /** the spec's version id, recorded with the scores */
    readonly specVersion: string,
    readonly config: RewardConfig,
  ) {
    checkRewardConfig(config);
    this.evaluator = new CostEvaluator(spec);
  }

  /** Scores a task's episodes; an episode that cannot be scored is a failure, the rest are still scored. */
  scoreAll(episodes: readonly EpisodeEvidence[]): TaskScores {
    const scores: EpisodeScore[] = [];
    const failures: ScoringFailure[] = [];
    for (const e of episodes) {
      try {
        scores.push(this.scoreOne(e));
      } catch (error) {
        failures.push({ episodeId: e.episodeId, error: (error as Error).message });
      }
    }
    const stats = this.normalize(scores);
    const { weights } = this.config;
    for (const s of scores) {
      s.total = REWARD_TERMS.reduce((sum, term) => sum + weights[term] * (s.terms[term] ?? 0), 0);
    }
    return {
      scores,
      failures,
      config: {
        ...this.config,
        weights: { ...weights },
        task: this.spec.task,
        objective: this.spec.objective,
        costSpec: this.specVersion,
        stages: this.spec.stages.map((s) => ({ name: s.name, tau: s.tau })),
        normalizationStats: stats,
      },
    };
  }

  private scoreOne(e: EpisodeEvidence): EpisodeScore {
    const { weights, alpha, unreachedStageCost } = this.config;
    const needsStages = weights.ext !== 0 || (weights.success !== 0 && !e.success);
    if (needsStages && !e.signals) {
      const why =
        weights.ext !== 0
          ? 'R_ext needs its signals'
          : 'I_success needs its signals (it has no success label)';
      throw new Error(`episode ${e.episodeId}: ${why}`);
    }
    const evaluation = needsStages ? this.evaluator.evaluate(e.signals!) : undefined;
    const score: EpisodeScore = { episodeId: e.episodeId, raw: {}, terms: {}, total: 0 };
    if (evaluation) {
      score.evaluation = evaluation;
      score.stageCosts = evaluation.stages.map((s) =>
        s.cost === undefined ? unreachedStageCost : Math.min(s.cost, unreachedStageCost),
      );
    }
    if (weights.ext !== 0) {
      const excess = score.stageCosts!.reduce(
        (sum, c, i) => sum + Math.max(0, c - this.spec.stages[i]!.tau),
        0,
      );
      score.raw.ext = Math.exp(-alpha * excess);
    }
    if (weights.self !== 0) {
      const own = (e.policySteps ?? []).filter((s) => s.flags === 0);
      if (own.length === 0) {
        throw new Error(
          `episode ${e.episodeId}: R_self needs the policy's own steps, and ${e.policySteps ? 'every logged step is flagged (dry run, hold, clamp, intervention)' : 'none were logged'}`,
        );
      }
      const sum = own.reduce((a, s) => a + s.logp, 0);
      score.raw.self = this.config.selfAggregate === 'sum' ? sum : sum / own.length;
      score.policySteps = own.length;
    }
    if (weights.success !== 0) {
      if (e.success) {
        score.raw.success = e.success.value ? 1 : 0;
        score.successSource = e.success.source;
      } else {
        score.raw.success = evaluation!.completed === this.spec.stages.length ? 1 : 0;
        score.successSource = 'stages';
      }
    }
    score.terms = { ...score.raw };
    return score;
  }

  private normalize(scores: EpisodeScore[]): NormalizationStats {
    const mode = this.config.normalization;
    const stats: NormalizationStats = { mode, terms: {} };
    if (mode === 'none' || scores.length === 0) return stats;
    for (const term of REWARD_TERMS) {
      if (this.config.weights[term] === 0) continue;
      const xs = scores.map((s) => s.raw[term]!);
      let centre: number;
      let scale: number;
      if (mode === 'zscore') {
        centre = xs.reduce((a, b) => a + b, 0) / xs.length;
        scale = Math.sqrt(xs.reduce((a, x) => a + (x - centre) ** 2, 0) / xs.length);
      } else {
        centre = Math.min(...xs);
        scale = Math.max(...xs) - centre;
      }
      stats.terms[term] = { centre, scale };
      // A term that is equal across the batch says nothing about the ranking: it contributes 0.
      for (const s of scores) s.terms[term] = scale > 0 ? (s.raw[term]! - centre) / scale : 0;
    }
    return stats;
  }
}
