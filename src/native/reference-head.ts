// The head's math in plain TypeScript (float64), straight from DESIGN.md: the reference the
// addon is tested against and the "plain TypeScript" line of the score-cpu benchmark.
import { uniform01 } from './counter-rng.js';
import { HeadError } from './head-error.js';
import { fromHalfArray } from './half.js';
import {
  featureData,
  headParameters,
  stepFeatures,
  type ActOptions,
  type ActResult,
  type ActionHead,
  type Features,
  type HeadSpec,
  type LogLikelihoodOptions,
  type LogLikelihoodResult,
  type ParameterInfo,
} from './head-types.js';

const SQRT_2_OVER_PI = 0.7978845608028654;

/** erf by Abramowitz–Stegun 7.1.26 (|error| < 1.5e-7), as the native kernels use. */
export function erf(x: number): number {
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const p = ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t;
  return Math.sign(x) * (1 - p * Math.exp(-a * a));
}

export function gelu(x: number, activation: 'gelu' | 'gelu_tanh'): number {
  if (activation === 'gelu') return 0.5 * x * (1 + erf(x / Math.SQRT2));
  return 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)));
}

/** log_softmax(z[offset .. offset+B))[token], stable for any finite logits. */
export function logSoftmaxAt(z: ArrayLike<number>, offset: number, bins: number, token: number): number {
  let m = -Infinity;
  for (let b = 0; b < bins; b++) m = Math.max(m, z[offset + b]!);
  let s = 0;
  for (let b = 0; b < bins; b++) s += Math.exp(z[offset + b]! - m);
  return z[offset + token]! - m - Math.log(s);
}

export class ReferenceActionHead implements ActionHead {
  readonly device = 'reference (TypeScript)';
  readonly spec: Readonly<HeadSpec>;
  private readonly params = new Map<string, Float32Array>();
  private readonly info: ParameterInfo[];

  constructor(spec: HeadSpec) {
    this.spec = Object.freeze({ ...spec });
    this.info = headParameters(spec);
    for (const p of this.info) {
      if (p.lora) this.params.set(p.name, new Float32Array(p.shape.reduce((a, b) => a * b, 1)));
    }
  }

  parameterInfo(): ParameterInfo[] {
    return this.info.map((p) => ({ ...p, shape: [...p.shape] }));
  }

  setParameters(params: Record<string, Float32Array>): Promise<void> {
    for (const [name, value] of Object.entries(params)) {
      const p = this.info.find((i) => i.name === name);
      if (!p) throw new HeadError('GRAPE_INVALID_ARGUMENT', `unknown parameter '${name}'`);
      const size = p.shape.reduce((a, b) => a * b, 1);
      if (value.length !== size)
        throw new HeadError('GRAPE_SHAPE_MISMATCH', `parameter '${name}' has ${value.length} values; expected ${size}`);
      this.params.set(name, Float32Array.from(value));
    }
    return Promise.resolve();
  }

  getParameters(): Promise<Record<string, Float32Array>> {
    return Promise.resolve(Object.fromEntries([...this.params].map(([k, v]) => [k, Float32Array.from(v)])));
  }

  private param(name: string): Float32Array {
    const p = this.params.get(name);
    if (!p) throw new HeadError('GRAPE_INVALID_ARGUMENT', `parameters not set: ${name}`);
    return p;
  }

  /** y = x Wᵀ + b (+ LoRA), one row. */
  private linearRow(prefix: string, x: Float64Array, outDim: number): Float64Array {
    const inDim = x.length;
    const w = this.param(`${prefix}.weight`);
    const bias = this.param(`${prefix}.bias`);
    const y = new Float64Array(outDim);
    for (let o = 0; o < outDim; o++) {
      let s = bias[o]!;
      for (let i = 0; i < inDim; i++) s += x[i]! * w[o * inDim + i]!;
      y[o] = s;
    }
    const lora = this.spec.lora;
    if (lora && lora.rank > 0) {
      const a = this.param(`${prefix}.lora_A`);
      const bm = this.param(`${prefix}.lora_B`);
      const xa = new Float64Array(lora.rank);
      for (let k = 0; k < lora.rank; k++) for (let i = 0; i < inDim; i++) xa[k]! += x[i]! * a[k * inDim + i]!;
      const scale = lora.alpha / lora.rank;
      for (let o = 0; o < outDim; o++) {
        let s = 0;
        for (let k = 0; k < lora.rank; k++) s += xa[k]! * bm[o * lora.rank + k]!;
        y[o]! += scale * s;
      }
    }
    return y;
  }

  /** Logits [N, D, B] in float64. */
  logitsF64(features: Features): Float64Array {
    const x = this.floats(features);
    const { actionDims: D, bins: B } = this.spec;
    const steps = x.length / stepFeatures(this.spec);
    const out = new Float64Array(steps * D * B);
    for (let s = 0; s < steps; s++) {
      if (this.spec.kind === 'token-linear') {
        const H = this.spec.inputDim;
        for (let d = 0; d < D; d++) {
          const row = Float64Array.from(x.subarray((s * D + d) * H, (s * D + d + 1) * H));
          out.set(this.linearRow('proj', row, B), (s * D + d) * B);
        }
        continue;
      }
      let h = Float64Array.from(x.subarray(s * this.spec.inputDim, (s + 1) * this.spec.inputDim));
      const hidden = this.spec.hidden ?? [];
      hidden.forEach((width, i) => {
        h = this.linearRow(`layers.${i}`, h, width).map((v) => gelu(v, this.spec.activation ?? 'gelu_tanh'));
      });
      out.set(this.linearRow(`layers.${hidden.length}`, h, D * B), s * D * B);
    }
    return out;
  }

  logits(features: Features): Promise<Float32Array> {
    return Promise.resolve(Float32Array.from(this.logitsF64(features)));
  }

  logLikelihood(
    features: Features,
    tokens: Int32Array,
    options: LogLikelihoodOptions = {},
  ): Promise<LogLikelihoodResult> {
    const z = this.logitsF64(features);
    const { actionDims: D, bins: B } = this.spec;
    const steps = z.length / (D * B);
    if (tokens.length !== steps * D)
      throw new HeadError('GRAPE_SHAPE_MISMATCH', `tokens has ${tokens.length} values; expected ${steps * D}`);
    const stepLogp = new Float32Array(steps);
    const dims = new Float32Array(steps * D);
    for (let s = 0; s < steps; s++) {
      let total = 0;
      for (let d = 0; d < D; d++) {
        const lp = logSoftmaxAt(z, (s * D + d) * B, B, tokens[s * D + d]!);
        dims[s * D + d] = lp;
        total += lp;
      }
      stepLogp[s] = total;
    }
    const result: LogLikelihoodResult = { steps: stepLogp };
    if (options.perDim) result.dims = dims;
    if (options.segments) result.segments = segmentSums(stepLogp, options.segments, options.mask);
    return Promise.resolve(result);
  }

  act(features: Features, options: ActOptions = {}): Promise<ActResult> {
    const z = this.logitsF64(features);
    const { actionDims: D, bins: B } = this.spec;
    const steps = z.length / (D * B);
    const temperature = options.greedy ? 0 : (options.temperature ?? 1);
    const tokens = new Int32Array(steps * D);
    const logp = new Float32Array(steps);
    const dims = new Float32Array(steps * D);
    for (let s = 0; s < steps; s++) {
      let total = 0;
      for (let d = 0; d < D; d++) {
        const row = z.subarray((s * D + d) * B, (s * D + d + 1) * B);
        const draw = uniform01(options.seed ?? 0, (options.firstStep ?? 0) + s, d);
        const t = temperature === 0 ? argmax(row) : sampleRow(row, temperature, options.topK ?? 0, draw);
        tokens[s * D + d] = t;
        dims[s * D + d] = logSoftmaxAt(row, 0, B, t);
        total += dims[s * D + d]!;
      }
      logp[s] = total;
    }
    return Promise.resolve(options.perDim ? { tokens, logp, dims } : { tokens, logp });
  }

  dispose(): void {
    this.params.clear();
  }

  private floats(features: Features): Float32Array {
    const f = featureData(features);
    const x = f.dtype === 'float32' ? f.data : fromHalfArray(f.data, f.dtype);
    if (x.length % stepFeatures(this.spec) !== 0)
      throw new HeadError('GRAPE_SHAPE_MISMATCH', `features length ${x.length} is not a multiple of ${stepFeatures(this.spec)}`);
    return x;
  }
}

function argmax(row: Float64Array): number {
  let best = 0;
  for (let b = 1; b < row.length; b++) if (row[b]! > row[best]!) best = b;
  return best;
}

/** A draw from softmax(row / T) over the top-k bins; ties at the k-th value go to lower indices. */
function sampleRow(row: Float64Array, temperature: number, topK: number, u: number): number {
  const B = row.length;
  const k = topK > 0 && topK < B ? topK : B;
  let threshold = -Infinity;
  let ties = B;
  if (k < B) {
    threshold = Float64Array.from(row).sort().reverse()[k - 1]!;
    ties = k - row.filter((v) => v > threshold).length;
  }
  const m = Math.max(...row);
  const weights = Array.from(row, (v) => {
    const keep = v > threshold || (v === threshold && ties-- > 0);
    return keep ? Math.exp((v - m) / temperature) : 0;
  });
  const target = u * weights.reduce((a, b) => a + b, 0);
  let cum = 0;
  let last = 0;
  for (let b = 0; b < B; b++) {
    if (weights[b] === 0) continue;
    last = b;
    cum += weights[b]!;
    if (target < cum) return b;
  }
  return last;
}

export function segmentSums(values: Float32Array, offsets: Int32Array, mask?: Uint8Array): Float64Array {
  const sums = new Float64Array(offsets.length - 1);
  for (let s = 0; s + 1 < offsets.length; s++) {
    for (let i = offsets[s]!; i < offsets[s + 1]!; i++) if (!mask || mask[i]) sums[s]! += values[i]!;
  }
  return sums;
}
