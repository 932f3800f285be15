// ActionHead on the native addon: argument plumbing only; the addon validates everything.
import { loadAddon, type RawHead } from './addon.js';
import { toHeadError } from './head-error.js';
import {
  featureData,
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

let announced = false;

/** Says once per process which device the heads run on (GRAPE_LOG=silent hides it). */
function announceDevice(device: string, reason: string): void {
  if (announced || process.env.GRAPE_LOG === 'silent') return;
  announced = true;
  process.stderr.write(`grape: action head on ${device} (${reason})\n`);
}

async function native<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toHeadError(error);
  }
}

export interface NativeHeadOptions {
  /** 'auto' (default: $GRAPE_DEVICE, else CUDA if present, else CPU), 'cpu', 'cuda' or 'cuda:N'. */
  device?: string;
}

export class NativeActionHead implements ActionHead {
  private readonly raw: RawHead;
  readonly spec: Readonly<HeadSpec>;
  private readonly perStep: number;

  constructor(spec: HeadSpec, options: NativeHeadOptions = {}) {
    const { addon } = loadAddon();
    const device = options.device === 'auto' ? '' : (options.device ?? '');
    try {
      this.raw = new addon.Head(spec, device);
    } catch (error) {
      throw toHeadError(error);
    }
    this.spec = Object.freeze({ ...this.raw.spec });
    this.perStep = stepFeatures(this.spec);
    announceDevice(this.raw.device, this.raw.deviceReason);
  }

  get device(): string {
    return this.raw.device;
  }

  private steps(data: Float32Array | Uint16Array): number {
    return Math.floor(data.length / this.perStep);
  }

  parameterInfo(): ParameterInfo[] {
    return this.call(() => this.raw.parameterInfo());
  }

  setParameters(params: Record<string, Float32Array>): Promise<void> {
    return native(() => this.raw.setParameters(params));
  }

  getParameters(): Promise<Record<string, Float32Array>> {
    return native(() => this.raw.getParameters());
  }

  logits(features: Features): Promise<Float32Array> {
    const { data, dtype } = featureData(features);
    return native(() => this.raw.logits(data, this.steps(data), dtype));
  }

  logLikelihood(
    features: Features,
    tokens: Int32Array,
    options: LogLikelihoodOptions = {},
  ): Promise<LogLikelihoodResult> {
    const { data, dtype } = featureData(features);
    return native(() => this.raw.logLikelihood(data, this.steps(data), dtype, tokens, options));
  }

  act(features: Features, options: ActOptions = {}): Promise<ActResult> {
    const { data, dtype } = featureData(features);
    const { greedy, temperature, ...rest } = options;
    const raw = { ...rest, temperature: greedy ? 0 : (temperature ?? 1) };
    return native(() => this.raw.act(data, this.steps(data), dtype, raw));
  }

  dispose(): void {
    this.raw.dispose();
  }

  private call<T>(fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw toHeadError(error);
    }
  }
}
