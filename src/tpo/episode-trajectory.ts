// One recorded episode as training data: the /grape/step records of its bag, in order, with the
// features the policy acted on, the executed token ids, the logged untempered log-likelihoods and
// which steps are the policy's own (flags 0). Steps that are not (holds, dry runs, clamped actions,
// interventions) stay in place — step t of one trajectory lines up with step t of another for
// step-DPO — but are masked out of every objective; a hold step carries no tokens or features, so
// it gets zeros.
import { BagReader } from '../bag/bag-reader.js';
import type { Episode, EpisodeIndex } from '../episode/episode-index.js';
import { STEP_TOPIC, type PolicyStep } from '../episode/policy-step.js';
import { DatasetError } from './dataset-error.js';

export interface EpisodeTrajectory {
  episodeId: string;
  taskId: string;
  seed?: number;
  /** The policy (checkpoint) or demonstrator that acted, as the index records it. */
  policyId: string;
  steps: number;
  /** [steps, F] */
  features: Float32Array;
  /** [steps, D] */
  tokens: Int32Array;
  /** [steps] 1 = the policy's own step (flags 0). */
  policyMask: Uint8Array;
  /** [steps] PolicyStep.logp as logged when the step ran. */
  loggedLogp: Float32Array;
}

/** The per-step sizes the head being trained needs. */
export interface StepShape {
  /** Feature values per step (F for an mlp head, D·H for token-linear). */
  features: number;
  actionDims: number;
  bins: number;
}

export async function readEpisodeTrajectory(
  bagDir: string,
  episode: Episode,
  shape: StepShape,
): Promise<EpisodeTrajectory> {
  const bag = await BagReader.open(bagDir);
  const steps: PolicyStep[] = [];
  try {
    for await (const m of bag.decoded<PolicyStep>({ topics: [STEP_TOPIC] })) steps.push(m.message);
  } finally {
    await bag.close();
  }
  const where = (i: number) => `episode ${episode.id} (${bagDir}), ${STEP_TOPIC} message ${i}`;
  const n = steps.length;
  const features = new Float32Array(n * shape.features);
  const tokens = new Int32Array(n * shape.actionDims);
  const policyMask = new Uint8Array(n);
  const loggedLogp = new Float32Array(n);
  steps.forEach((s, i) => {
    loggedLogp[i] = s.logp;
    if (s.flags !== 0) return;
    if (s.tokens.length !== shape.actionDims)
      throw new DatasetError(
        `${where(i)}: a policy step with ${s.tokens.length} tokens; the head acts in ${shape.actionDims} dims`,
      );
    if (s.features.length === 0)
      throw new DatasetError(
        `${where(i)}: no recorded features (the episode ran without recordFeatures); re-record it or leave it out`,
      );
    if (s.features.length !== shape.features)
      throw new DatasetError(
        `${where(i)}: ${s.features.length} features; the head takes ${shape.features} (recorded with another encoder?)`,
      );
    for (let d = 0; d < shape.actionDims; d++) {
      const token = s.tokens[d]!;
      if (!Number.isInteger(token) || token < 0 || token >= shape.bins)
        throw new DatasetError(`${where(i)}: token ${d} is ${token}; the head has bins 0…${shape.bins - 1}`);
      tokens[i * shape.actionDims + d] = token;
    }
    const bad = Array.prototype.findIndex.call(s.features, (v: number) => !Number.isFinite(v));
    if (bad >= 0) throw new DatasetError(`${where(i)}: feature ${bad} is ${s.features[bad]}`);
    features.set(s.features, i * shape.features);
    policyMask[i] = 1;
  });
  return {
    episodeId: episode.id,
    taskId: episode.taskId,
    ...(episode.seed === undefined ? {} : { seed: episode.seed }),
    policyId: episode.policyCheckpointId,
    steps: n,
    features,
    tokens,
    policyMask,
    loggedLogp,
  };
}

/** Reads episodes of the index one after another (bags are decompressed on this thread). */
export async function readEpisodeTrajectories(
  index: Pick<EpisodeIndex, 'bagDir'>,
  episodes: readonly Episode[],
  shape: StepShape,
  onRead?: (done: number, total: number) => void,
): Promise<EpisodeTrajectory[]> {
  const out: EpisodeTrajectory[] = [];
  for (const e of episodes) {
    out.push(await readEpisodeTrajectory(index.bagDir(e), e, shape));
    onRead?.(out.length, episodes.length);
  }
  return out;
}
