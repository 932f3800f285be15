// The action head as the rest of grape sees it: a small interface, implemented by the native
// addon (NativeActionHead) and by a plain TypeScript reference of the same math (ReferenceActionHead).

export type HeadKind = 'mlp' | 'token-linear';
/** GELU variant of mlp hidden layers: 'gelu' = exact erf form, 'gelu_tanh' = tanh approximation. */
export type Activation = 'gelu' | 'gelu_tanh';

export interface LoraSpec {
  rank: number;
  alpha: number;
}

/**
 * mlp: features [N, F] → hidden layers (GELU) → logits [N, D·B].
 * token-linear: features [N, D, H] → one shared H→B linear per action dim → logits [N, D, B].
 * Parameters use PyTorch layout (weight [out, in]) and PEFT LoRA names (lora_A [r, in], lora_B [out, r]).
 */
export interface HeadSpec {
  kind: HeadKind;
  /** F (mlp) or H (token-linear). */
  inputDim: number;
  hidden?: number[];
  /** D */
  actionDims: number;
  /** B */
  bins: number;
  activation?: Activation;
  lora?: LoraSpec;
}

export interface ParameterInfo {
  name: string;
  shape: number[];
  /** LoRA factors start at zero; every other parameter must be set before use. */
  lora: boolean;
}

export type HalfDType = 'float16' | 'bfloat16';
/** Features of N steps, row-major: fp32, or fp16/bf16 bit patterns. */
export type Features = Float32Array | { data: Uint16Array; dtype: HalfDType };

export interface ActOptions {
  /** Sampling temperature (default 1). Ignored when greedy. */
  temperature?: number;
  /** Argmax decoding (the default for evaluation). */
  greedy?: boolean;
  /** Sample among the k most likely bins only (0 or absent: all). */
  topK?: number;
  /** Seed of the counter-based draws: (seed, firstStep + step, dim) fixes each draw. */
  seed?: number;
  /** Counter offset of the first step, so a step draws the same alone or in a batch. */
  firstStep?: number;
  /** Also return per-dim log-likelihoods. */
  perDim?: boolean;
}

export interface ActResult {
  /** [N, D] token ids. */
  tokens: Int32Array;
  /** [N] untempered log-likelihood of the tokens, whatever the sampling temperature. */
  logp: Float32Array;
  /** [N, D] when perDim. */
  dims?: Float32Array;
}

export interface LogLikelihoodOptions {
  perDim?: boolean;
  /** Trajectory boundaries: offsets [0, …, N]; sums per segment are returned in float64. */
  segments?: Int32Array;
  /** Steps that count in the segment sums (1) or not (0): policy steps only. */
  mask?: Uint8Array;
}

export interface LogLikelihoodResult {
  /** [N] Σ_d log_softmax(logits)[token]. */
  steps: Float32Array;
  dims?: Float32Array;
  segments?: Float64Array;
}

export interface ActionHead {
  readonly spec: Readonly<HeadSpec>;
  /** Where it runs, e.g. "cpu (avx2, 2 threads)" or "reference (TypeScript)". */
  readonly device: string;
  parameterInfo(): ParameterInfo[];
  setParameters(params: Record<string, Float32Array>): Promise<void>;
  getParameters(): Promise<Record<string, Float32Array>>;
  /** [N, D, B] logits. */
  logits(features: Features): Promise<Float32Array>;
  logLikelihood(features: Features, tokens: Int32Array, options?: LogLikelihoodOptions): Promise<LogLikelihoodResult>;
  act(features: Features, options?: ActOptions): Promise<ActResult>;
  dispose(): void;
}

/** Feature values one step carries: F (mlp) or D·H (token-linear). */
export function stepFeatures(spec: HeadSpec): number {
  return spec.kind === 'mlp' ? spec.inputDim : spec.actionDims * spec.inputDim;
}

/** Parameter names and shapes of a head, in the order the addon lists them. */
export function headParameters(spec: HeadSpec): ParameterInfo[] {
  const layers: { prefix: string; inDim: number; outDim: number }[] = [];
  if (spec.kind === 'token-linear') {
    layers.push({ prefix: 'proj', inDim: spec.inputDim, outDim: spec.bins });
  } else {
    let inDim = spec.inputDim;
    (spec.hidden ?? []).forEach((width, i) => {
      layers.push({ prefix: `layers.${i}`, inDim, outDim: width });
      inDim = width;
    });
    layers.push({ prefix: `layers.${spec.hidden?.length ?? 0}`, inDim, outDim: spec.actionDims * spec.bins });
  }
  const rank = spec.lora?.rank ?? 0;
  return layers.flatMap(({ prefix, inDim, outDim }) => [
    { name: `${prefix}.weight`, shape: [outDim, inDim], lora: false },
    { name: `${prefix}.bias`, shape: [outDim], lora: false },
    ...(rank > 0
      ? [
          { name: `${prefix}.lora_A`, shape: [rank, inDim], lora: true },
          { name: `${prefix}.lora_B`, shape: [outDim, rank], lora: true },
        ]
      : []),
  ]);
}

export type FeatureData = { data: Float32Array; dtype: 'float32' } | { data: Uint16Array; dtype: HalfDType };

/** Splits features into data and dtype; any bare typed array is taken as float32 (the addon checks). */
export function featureData(features: Features): FeatureData {
  return ArrayBuffer.isView(features) ? { data: features, dtype: 'float32' } : features;
}
