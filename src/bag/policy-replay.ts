// The policy runtime's Policy as replay uses it: the encoder's features of each observation (they
// are cached in the replayed episode, for training) and the untempered log-likelihood of the
// logged tokens given those same features.
import type { Policy } from '../policy/policy.js';
import type { ReplayPolicy, ReplayStep } from './bag-replay.js';

export interface PolicyReplayOptions {
  /** steps per encoder call: 1 for an encoder exported with a fixed batch of one */
  encodeBatch: number;
}

export function policyForReplay(policy: Policy, options: PolicyReplayOptions): ReplayPolicy {
  const F = policy.featureSize;
  const encode = async (steps: readonly ReplayStep[]): Promise<Float32Array[]> => {
    const out: Float32Array[] = [];
    for (let at = 0; at < steps.length; at += options.encodeBatch) {
      const batch = steps.slice(at, at + options.encodeBatch);
      const feeds = policy.preprocessor.feeds(
        batch.map((s) => ({ observation: s.observation, instruction: s.instruction })),
      );
      const features = await policy.encoder.encode(feeds);
      if (features.length !== batch.length * F) {
        throw new Error(
          `the encoder returned ${features.length} values for ${batch.length} step(s); the model needs ${F} per step`,
        );
      }
      for (let i = 0; i < batch.length; i++) out.push(features.slice(i * F, (i + 1) * F));
    }
    return out;
  };
  return {
    checkpointId: policy.id,
    async score(steps) {
      const features = await encode(steps);
      const { steps: logp } = await policy.logLikelihood(
        steps.map((s, i) => ({ tokens: s.tokens, features: features[i]! })),
      );
      return { features, logp };
    },
    tokenize: (action) => policy.actions.encode(action).tokens,
  };
}
