// A policy whose sampling draws are seeded per episode. A policy's draws are counter-based on
// (seed, step index, dim) and the step index starts over with every episode, so two sampled
// rollouts from the same initial state under one seed are the same rollout; rollouts that should
// differ (several per initial state, as GRAPE pairs them) each get a seed of their own here.
import type { StepPolicy } from '../node/node-interfaces.js';
import type { Policy, SamplingOptions } from '../policy/policy.js';

export class EpisodeSeededPolicy implements StepPolicy {
  /** The seed of the next steps' draws (set before each episode). */
  seed: number;

  constructor(private readonly policy: Policy) {
    this.seed = policy.sampling.seed;
  }

  get id(): string {
    return this.policy.id;
  }

  get actions(): Policy['actions'] {
    return this.policy.actions;
  }

  get sampling(): Readonly<SamplingOptions> {
    return { ...this.policy.sampling, seed: this.seed };
  }

  step(
    ...[observation, instruction, options]: Parameters<StepPolicy['step']>
  ): ReturnType<StepPolicy['step']> {
    return this.policy.step(observation, instruction, { ...options, sampling: { seed: this.seed } });
  }

  follow(...args: Parameters<StepPolicy['follow']>): ReturnType<StepPolicy['follow']> {
    return this.policy.follow(...args);
  }
}
