// The policy the robot runs each control step: observation + instruction → preprocessing → encoder
// → action head → tokens, the continuous action they decode to, and the untempered log-likelihood
// of those tokens. It takes an Encoder and an ActionHead (interfaces), so any runtime can back it.
import type { ActionHead, LogLikelihoodOptions, LogLikelihoodResult } from '../native/head-types.js';
import { ActionTokenizer, type ClippedDim } from './action-tokenizer.js';
import type { Encoder, EncoderFeeds } from './encoder.js';
import type { ModelManifest } from './model-manifest.js';
import {
  ObservationPreprocessor,
  type Observation,
  type ObservationStep,
} from './observation-preprocessor.js';
import { PolicyInputError } from './policy-input-error.js';

export interface SamplingOptions {
  /** Argmax decoding (evaluation); otherwise sample. */
  greedy: boolean;
  /** Sampling temperature (> 0); the logged logp is untempered whatever it is. */
  temperature: number;
  /** Sample among the k most likely bins (0: all). */
  topK: number;
  /** Seed of the counter-based draws: (seed, step index, dim) fixes each draw. */
  seed: number;
}

export const DEFAULT_SAMPLING: Readonly<SamplingOptions> = {
  greedy: false,
  temperature: 1,
  topK: 0,
  seed: 0,
};

/** One control step, as the step record logs it. */
export interface PolicyStep {
  policyId: string;
  stepIndex: number;
  instruction: string;
  /** [D] token ids actually executed. */
  tokens: Int32Array;
  /** [D] the continuous action the tokens decode to. */
  action: Float64Array;
  /** Σ_d log_softmax(logits_d)[token_d] at temperature 1, no top-k. */
  logp: number;
  /** [D] the terms of that sum, per action dim. */
  logpDims: Float32Array;
  /** The encoder's output for this step (cached for training). */
  features: Float32Array;
  sampling: SamplingOptions;
  timing: { preprocessMs: number; encodeMs: number; headMs: number };
}

/** A logged step to score: its tokens with either the cached features or the observation. */
export type ReplayStep = { tokens: ArrayLike<number> } & (
  { features: Float32Array } | { observation: Observation; instruction: string }
);

export interface PolicyOptions {
  /** Which checkpoint this is (logged with every step), e.g. "grape-default@1/base". */
  id: string;
  sampling?: Partial<SamplingOptions>;
  /** Steps encoded per encoder call when scoring observations (1 for encoders with a fixed batch). */
  encodeBatch?: number;
}

function checkSampling(s: SamplingOptions): SamplingOptions {
  if (!(s.temperature > 0) || !Number.isFinite(s.temperature))
    throw new PolicyInputError('sampling.temperature', `must be a positive number, got ${s.temperature}`);
  if (!Number.isInteger(s.topK) || s.topK < 0)
    throw new PolicyInputError('sampling.topK', `must be a non-negative integer, got ${s.topK}`);
  if (!Number.isSafeInteger(s.seed) || s.seed < 0)
    throw new PolicyInputError('sampling.seed', `must be a non-negative integer, got ${s.seed}`);
  return s;
}

export class Policy {
  readonly id: string;
  readonly preprocessor: ObservationPreprocessor;
  /** Continuous actions ↔ tokens (encode reports clipping; use it for demos and interventions). */
  readonly actions: ActionTokenizer;
  /** Feature values per step. */
  readonly featureSize: number;
  readonly sampling: Readonly<SamplingOptions>;
  private readonly encodeBatch: number;
  private nextStep = 0;

  constructor(
    readonly manifest: Readonly<ModelManifest>,
    readonly encoder: Encoder,
    readonly head: ActionHead,
    options: PolicyOptions,
  ) {
    const h = head.spec;
    const m = manifest;
    const mismatch = [
      ['kind', h.kind, m.head.kind],
      ['inputDim', h.inputDim, m.head.inputDim],
      ['actionDims', h.actionDims, m.action.dims],
      ['bins', h.bins, m.action.bins],
    ].find(([, a, b]) => a !== b);
    if (mismatch)
      throw new Error(
        `the action head's ${String(mismatch[0])} is ${String(mismatch[1])}; the model's policy.json says ${String(mismatch[2])}`,
      );
    this.id = options.id;
    this.preprocessor = new ObservationPreprocessor(manifest);
    this.actions = new ActionTokenizer(manifest.action);
    this.featureSize = manifest.encoder.outputShape.reduce((a, b) => a * b, 1);
    this.sampling = Object.freeze(checkSampling({ ...DEFAULT_SAMPLING, ...options.sampling }));
    this.encodeBatch = options.encodeBatch ?? 32;
  }

  /** Starts the step counter (the sampling draws' step index) over, e.g. for a new episode. */
  reset(firstStep = 0): void {
    this.nextStep = firstStep;
  }

  private async encode(feeds: EncoderFeeds, steps: number): Promise<Float32Array> {
    const features = await this.encoder.encode(feeds);
    if (features.length !== steps * this.featureSize)
      throw new Error(
        `the encoder returned ${features.length} values for ${steps} step(s); ` +
          `policy.json encoder.outputShape needs ${this.featureSize} per step`,
      );
    return features;
  }

  async step(
    observation: Observation,
    instruction: string,
    options: { stepIndex?: number; sampling?: Partial<SamplingOptions> } = {},
  ): Promise<PolicyStep> {
    const sampling = options.sampling
      ? checkSampling({ ...this.sampling, ...options.sampling })
      : this.sampling;
    const stepIndex = options.stepIndex ?? this.nextStep;
    if (!Number.isSafeInteger(stepIndex) || stepIndex < 0)
      throw new PolicyInputError('stepIndex', `must be a non-negative integer, got ${stepIndex}`);
    this.nextStep = stepIndex + 1;
    const t0 = performance.now();
    const feeds = this.preprocessor.feeds([{ observation, instruction }]);
    const t1 = performance.now();
    const features = await this.encode(feeds, 1);
    const t2 = performance.now();
    const { tokens, logp, dims } = await this.head.act(features, {
      ...sampling,
      firstStep: stepIndex,
      perDim: true,
    });
    const t3 = performance.now();
    return {
      policyId: this.id,
      stepIndex,
      instruction,
      tokens,
      action: this.actions.decode(tokens),
      logp: logp[0]!,
      logpDims: dims!,
      features,
      sampling: { ...sampling },
      timing: { preprocessMs: t1 - t0, encodeMs: t2 - t1, headMs: t3 - t2 },
    };
  }

  /**
   * A step whose action comes from elsewhere (a demonstration, an operator's intervention): the
   * action is tokenized (clipping reported), the observation encoded, and the tokens scored under
   * this policy, so the step records exactly like one the policy took.
   */
  async follow(
    observation: Observation,
    instruction: string,
    action: ArrayLike<number>,
    options: { stepIndex?: number } = {},
  ): Promise<{ step: PolicyStep; clipped: ClippedDim[] }> {
    const stepIndex = options.stepIndex ?? this.nextStep;
    this.nextStep = stepIndex + 1;
    const { tokens, clipped } = this.actions.encode(action);
    const t0 = performance.now();
    const feeds = this.preprocessor.feeds([{ observation, instruction }]);
    const t1 = performance.now();
    const features = await this.encode(feeds, 1);
    const t2 = performance.now();
    const scored = await this.head.logLikelihood(features, tokens, { perDim: true });
    const t3 = performance.now();
    const step: PolicyStep = {
      policyId: this.id,
      stepIndex,
      instruction,
      tokens,
      action: this.actions.decode(tokens),
      logp: scored.steps[0]!,
      logpDims: scored.dims!,
      features,
      sampling: { ...this.sampling },
      timing: { preprocessMs: t1 - t0, encodeMs: t2 - t1, headMs: t3 - t2 },
    };
    return { step, clipped };
  }

  /** Per-step untempered log-likelihoods of logged tokens (segment sums and masks as the head takes them). */
  async logLikelihood(
    steps: readonly ReplayStep[],
    options: LogLikelihoodOptions = {},
  ): Promise<LogLikelihoodResult> {
    const D = this.actions.dims;
    const F = this.featureSize;
    const features = new Float32Array(steps.length * F);
    const tokens = new Int32Array(steps.length * D);
    const pending: { index: number; step: ObservationStep }[] = [];
    steps.forEach((s, i) => {
      if (s.tokens.length !== D)
        throw new PolicyInputError(`steps[${i}].tokens`, `has ${s.tokens.length} values; a step has ${D}`);
      try {
        this.actions.decode(s.tokens);
      } catch (error) {
        if (error instanceof PolicyInputError)
          throw new PolicyInputError(`steps[${i}].${error.input}`, error.problem);
        throw error;
      }
      tokens.set(s.tokens, i * D);
      if ('features' in s) {
        if (s.features.length !== F)
          throw new PolicyInputError(
            `steps[${i}].features`,
            `has ${s.features.length} values; the model's features have ${F}`,
          );
        features.set(s.features, i * F);
      } else {
        pending.push({ index: i, step: { observation: s.observation, instruction: s.instruction } });
      }
    });
    for (let at = 0; at < pending.length; at += this.encodeBatch) {
      const batch = pending.slice(at, at + this.encodeBatch);
      const encoded = await this.encode(this.preprocessor.feeds(batch.map((b) => b.step)), batch.length);
      batch.forEach((b, k) => {
        features.set(encoded.subarray(k * F, (k + 1) * F), b.index * F);
      });
    }
    return this.head.logLikelihood(features, tokens, options);
  }

  async dispose(): Promise<void> {
    this.head.dispose();
    await this.encoder.dispose();
  }
}
