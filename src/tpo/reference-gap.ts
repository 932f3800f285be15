// How far the reference log-likelihoods recomputed at the start of a run (training numerics:
// cached half-precision features, the trainer's kernels) are from the values logged when the steps
// ran. Only steps of the policy the run starts from compare: a demonstration's or another
// checkpoint's logged logp is another policy's likelihood.
import type { TrainingSet } from './training-set.js';

export interface ReferenceGap {
  /** The policy id whose logged steps were compared. */
  policyId: string;
  trajectories: number;
  steps: number;
  meanAbs: number;
  maxAbs: number;
  /** Policy steps of trajectories another policy (or a demonstrator) recorded, not compared. */
  otherPolicySteps: number;
}

export function referenceGap(
  set: Pick<TrainingSet, 'trajectories'>,
  reference: Float32Array,
  policyId: string,
): ReferenceGap {
  const gap: ReferenceGap = {
    policyId,
    trajectories: 0,
    steps: 0,
    meanAbs: 0,
    maxAbs: 0,
    otherPolicySteps: 0,
  };
  let offset = 0;
  let sum = 0;
  for (const t of set.trajectories) {
    const ours = t.policyId === policyId;
    if (ours) gap.trajectories++;
    for (let i = 0; i < t.steps; i++) {
      if (!t.policyMask[i]) continue;
      if (!ours) {
        gap.otherPolicySteps++;
        continue;
      }
      const d = Math.abs(reference[offset + i]! - t.loggedLogp[i]!);
      sum += d;
      gap.maxAbs = Math.max(gap.maxAbs, d);
      gap.steps++;
    }
    offset += t.steps;
  }
  if (offset !== reference.length)
    throw new Error(`the reference has ${reference.length} steps; the data ${offset}`);
  gap.meanAbs = gap.steps ? sum / gap.steps : 0;
  return gap;
}
