// The configuration of the GCPG score R = w_self·R_self + w_ext·R_ext + w_success·I_success: weights
// by term (0 switches a term off), α, the cost of a stage never reached, how R_self aggregates, and
// per-task normalization. Recorded with every score.

export interface RewardWeights {
  self: number;
  ext: number;
  success: number;
}

/** The GRAPE paper's weights, and those its official code effectively used. */
export const WEIGHT_PRESETS = {
  paper: { self: 0.01, ext: 0.01, success: 2 },
  official: { self: 0.01, ext: 1, success: 5 },
} as const satisfies Record<string, RewardWeights>;
export type WeightPreset = keyof typeof WEIGHT_PRESETS;

export const NORMALIZATIONS = ['none', 'zscore', 'minmax'] as const;
export type Normalization = (typeof NORMALIZATIONS)[number];

export interface RewardConfig {
  weights: RewardWeights;
  /** α in R_ext = Π exp(-α·max(0, C_stage − τ_stage)) */
  alpha: number;
  /**
   * C of a stage the trajectory never reached; a reached stage's cost is capped at it, so getting
   * further never lowers R_ext and failures rank by how far they got.
   */
  unreachedStageCost: number;
  /** R_self: mean per-step log-likelihood of the policy's own steps (default), or their sum */
  selfAggregate: 'mean' | 'sum';
  /** per task, each term across the task's episodes before weighting */
  normalization: Normalization;
}

/**
 * Defaults: the official code's weights, because with the paper's (w_ext = 0.01 on R_ext in [0, 1])
 * the external cost barely moves a score next to R_self; a stage cost of 1 is "clearly off" in the
 * built-in specs, so an unreached stage costs 3.
 */
export const DEFAULT_REWARD_CONFIG: RewardConfig = {
  weights: { ...WEIGHT_PRESETS.official },
  alpha: 1,
  unreachedStageCost: 3,
  selfAggregate: 'mean',
  normalization: 'none',
};

/** Rejects a configuration that cannot give meaningful scores, naming the setting. */
export function checkRewardConfig(config: RewardConfig): void {
  const fail = (setting: string, problem: string): never => {
    throw new Error(`reward configuration: ${setting} ${problem}`);
  };
  for (const [term, w] of Object.entries(config.weights)) {
    if (!Number.isFinite(w) || w < 0) fail(`weight of ${term}`, `must be a finite number ≥ 0, got ${w}`);
  }
  if (Object.values(config.weights).every((w) => w === 0))
    fail('weights', 'are all 0: every term is switched off');
  if (!Number.isFinite(config.alpha) || config.alpha <= 0) fail('alpha', `must be > 0, got ${config.alpha}`);
  if (!Number.isFinite(config.unreachedStageCost) || config.unreachedStageCost < 0) {
    fail('unreachedStageCost', `must be ≥ 0, got ${config.unreachedStageCost}`);
  }
}
