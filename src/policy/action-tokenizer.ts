// Continuous actions ↔ action tokens, OpenVLA style: each dim is normalized with its q01/q99 to
// [-1, 1] and quantized into B bins; binary dims (a gripper) take one of their two levels. Values
// outside [q01, q99] are clipped and every clip is reported, never silent.
import type { ActionSpec } from './model-manifest.js';
import { PolicyInputError } from './policy-input-error.js';

export interface ClippedDim {
  dim: number;
  name: string;
  /** The value given. */
  value: number;
  /** The bound it was clipped to (q01 or q99). */
  limit: number;
}

export interface EncodedAction {
  tokens: Int32Array;
  /** Dims whose value lay outside [q01, q99]; empty when nothing was clipped. */
  clipped: ClippedDim[];
}

export class ActionTokenizer {
  readonly dims: number;
  readonly bins: number;
  private readonly q01: Float64Array;
  private readonly q99: Float64Array;
  private readonly binary: Uint8Array;

  constructor(readonly spec: Readonly<ActionSpec>) {
    this.dims = spec.dims;
    this.bins = spec.bins;
    this.q01 = Float64Array.from(spec.normalization.q01);
    this.q99 = Float64Array.from(spec.normalization.q99);
    this.binary = Uint8Array.from(spec.names, (n) => (spec.binary.includes(n) ? 1 : 0));
  }

  isBinary(dim: number): boolean {
    return this.binary[dim] === 1;
  }

  /** Token of a normalized value in [-1, 1]. */
  private binOf(x: number): number {
    const B = this.bins;
    if (this.spec.binning === 'uniform') return Math.min(B - 1, Math.floor(((x + 1) / 2) * B));
    // OpenVLA: np.digitize(x, linspace(-1, 1, B)) ∈ [1, B], token = B - digitized.
    const digitized = Math.min(B, Math.floor(((x + 1) / 2) * (B - 1)) + 1);
    return B - digitized;
  }

  /** Normalized value in [-1, 1] a token stands for (its bin centre). */
  private centreOf(token: number): number {
    const B = this.bins;
    if (this.spec.binning === 'uniform') return -1 + ((token + 0.5) * 2) / B;
    const index = Math.min(B - 2, Math.max(0, B - token - 1));
    return -1 + ((index + 0.5) * 2) / (B - 1);
  }

  /** Token of the +1 end (a binary dim's q99 level) and of the -1 end (q01). */
  private get highToken(): number {
    return this.binOf(1);
  }

  private get lowToken(): number {
    return this.binOf(-1);
  }

  encode(action: ArrayLike<number>): EncodedAction {
    if (action.length !== this.dims)
      throw new PolicyInputError(
        'action',
        `has ${action.length} values; the model's action has ${this.dims} dims`,
      );
    const tokens = new Int32Array(this.dims);
    const clipped: ClippedDim[] = [];
    for (let d = 0; d < this.dims; d++) {
      const value = action[d]!;
      const name = this.spec.names[d]!;
      if (!Number.isFinite(value)) throw new PolicyInputError(`action[${d}] (${name})`, `is ${value}`);
      const lo = this.q01[d]!;
      const hi = this.q99[d]!;
      if (value < lo) clipped.push({ dim: d, name, value, limit: lo });
      else if (value > hi) clipped.push({ dim: d, name, value, limit: hi });
      if (this.isBinary(d)) {
        tokens[d] = value >= (lo + hi) / 2 ? this.highToken : this.lowToken;
      } else {
        const x = Math.min(1, Math.max(-1, (2 * (value - lo)) / (hi - lo) - 1));
        tokens[d] = this.binOf(x);
      }
    }
    return { tokens, clipped };
  }

  /** Decodes one step's D tokens (or D tokens at `offset` of a longer array) into `out`. */
  decode(tokens: ArrayLike<number>, offset = 0, out = new Float64Array(this.dims)): Float64Array {
    if (tokens.length < offset + this.dims)
      throw new PolicyInputError(
        'tokens',
        `has ${tokens.length - offset} values from ${offset}; a step has ${this.dims}`,
      );
    const B = this.bins;
    for (let d = 0; d < this.dims; d++) {
      const t = tokens[offset + d]!;
      if (!Number.isInteger(t) || t < 0 || t >= B)
        throw new PolicyInputError(`tokens[${offset + d}]`, `${t} is not a token id in [0, ${B})`);
      const lo = this.q01[d]!;
      const hi = this.q99[d]!;
      if (this.isBinary(d)) {
        // The half of the bins nearer the high token decodes to q99.
        const high = Math.abs(t - this.highToken) < Math.abs(t - this.lowToken);
        out[d] = high ? hi : lo;
      } else {
        out[d] = lo + ((this.centreOf(t) + 1) / 2) * (hi - lo);
      }
    }
    return out;
  }
}
