// HeadTrainer on the native addon: argument plumbing only; the addon validates everything.
import { loadAddon, type RawTrainer } from './addon.js';
import { toHeadError } from './head-error.js';
import { featureData, type HeadSpec } from './head-types.js';
import type { NativeHeadOptions } from './native-head.js';
import { stepFeatures } from './head-types.js';
import type {
  HeadTrainer,
  OptimizerState,
  TrainBatch,
  TrainMetrics,
  TrainerConfig,
  TrainingData,
} from './trainer-types.js';

async function native<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toHeadError(error);
  }
}

export class NativeHeadTrainer implements HeadTrainer {
  private readonly raw: RawTrainer;
  readonly spec: Readonly<HeadSpec>;

  constructor(
    spec: HeadSpec,
    config: TrainerConfig,
    initial: Record<string, Float32Array>,
    options: NativeHeadOptions = {},
  ) {
    const { addon } = loadAddon();
    const device = options.device === 'auto' ? '' : (options.device ?? '');
    try {
      this.raw = new addon.Trainer(spec, device, config, initial);
    } catch (error) {
      throw toHeadError(error);
    }
    this.spec = Object.freeze({ ...spec });
  }

  get device(): string {
    return this.raw.device;
  }

  trainableNames(): string[] {
    try {
      return this.raw.trainableNames();
    } catch (error) {
      throw toHeadError(error);
    }
  }

  upload(data: TrainingData): Promise<void> {
    const { data: features, dtype } = featureData(data.features);
    const steps = Math.floor(features.length / stepFeatures(this.spec));
    return native(() =>
      this.raw.upload({ features, dtype, steps, tokens: data.tokens, policyMask: data.policyMask, offsets: data.offsets }),
    );
  }

  computeReference(): Promise<Float32Array> {
    return native(() => this.raw.computeReference());
  }

  setReference(perStep: Float32Array): Promise<void> {
    return native(() => this.raw.setReference(perStep));
  }

  step(batch: TrainBatch): Promise<TrainMetrics> {
    return native(() => this.raw.step(batch));
  }

  evaluate(batch: TrainBatch): Promise<TrainMetrics> {
    return native(() => this.raw.evaluate(batch));
  }

  gradients(batch: TrainBatch): Promise<{ metrics: TrainMetrics; gradients: Record<string, Float32Array> }> {
    return native(() => this.raw.gradients(batch));
  }

  getParameters(): Promise<Record<string, Float32Array>> {
    return native(() => this.raw.getParameters());
  }

  getOptimizerState(): Promise<OptimizerState> {
    return native(() => this.raw.getOptimizerState());
  }

  setOptimizerState(state: OptimizerState): Promise<void> {
    return native(() => this.raw.setOptimizerState(state));
  }

  dispose(): void {
    this.raw.dispose();
  }
}
