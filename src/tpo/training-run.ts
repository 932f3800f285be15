// One training run on a HeadTrainer: the data uploaded once, the reference scored under the
// training numerics, then epochs of seeded-shuffled batches; at each evaluation point the held-out
// items are scored, the best parameters kept, and a snapshot handed out for resuming. Early stopping
// watches held-out pair accuracy (ties: lower loss) for the preference objectives and held-out NLL
// for SFT; the run ends with the best parameters seen (the starting ones included).
import { stepFeatures } from '../native/head-types.js';
import type { HeadTrainer, OptimizerState, TrainMetrics } from '../native/trainer-types.js';
import { SeededRandom } from '../sim/seeded-random.js';
import type { HeldOutSplit } from './held-out-split.js';
import type { TrainingSettings } from './training-settings.js';
import { batchOf, packTrainingData, type TrainingSet } from './training-set.js';

export interface StepRecord {
  step: number;
  totalSteps: number;
  /** Epochs done, fractional. */
  epoch: number;
  metrics: TrainMetrics;
}

export interface EvalRecord {
  step: number;
  /** Epochs done, fractional. */
  epoch: number;
  /** Held-out metrics (undefined without a held-out split). */
  heldOut?: TrainMetrics;
  /** Mean of the training steps' metrics since the previous evaluation. */
  train?: TrainMetrics;
  best: boolean;
}

/** What resuming a run needs. */
export interface RunSnapshot {
  /** Optimizer steps done. */
  step: number;
  /** Epoch in progress, and batches of it done. */
  epoch: number;
  batchInEpoch: number;
  evals: EvalRecord[];
  bestStep: number;
  /** Evaluations since the best one. */
  sinceBest: number;
  stopped?: string;
  reference: Float32Array;
  parameters: Record<string, Float32Array>;
  best: Record<string, Float32Array>;
  optimizer: OptimizerState;
}

export interface RunEvents {
  /** The reference per step, recomputed (or restored, resuming) before the first step. */
  onReference?: (reference: Float32Array) => void;
  onStep?: (record: StepRecord) => void;
  onEval?: (record: EvalRecord) => void;
  /** After every evaluation point: persist it to resume later. */
  onSnapshot?: (snapshot: RunSnapshot) => Promise<void>;
}

export interface RunResult {
  /** The best parameters (the last ones without a held-out split). */
  parameters: Record<string, Float32Array>;
  bestStep: number;
  steps: number;
  stopped: string;
  evals: EvalRecord[];
  reference: Float32Array;
}

/** Items per evaluate() call: bounds the activations held at once. */
const EVAL_CHUNK = 64;

/** Averages metrics of parts: pair metrics weighted by comparisons, NLL by steps (sft) or pairs. */
export function combineMetrics(
  parts: readonly { metrics: TrainMetrics; items: number }[],
  pairs: boolean,
): TrainMetrics {
  const total = (f: (p: (typeof parts)[number]) => number) => parts.reduce((a, p) => a + f(p), 0);
  const mean = (key: keyof TrainMetrics, weight: (p: (typeof parts)[number]) => number) => {
    const w = total(weight);
    return w === 0 ? 0 : total((p) => p.metrics[key] * weight(p)) / w;
  };
  const byComparisons = (p: (typeof parts)[number]) => (pairs ? p.metrics.comparisons : p.metrics.steps);
  const nllWeight = (p: (typeof parts)[number]) => (pairs ? p.items : p.metrics.steps);
  return {
    loss: pairs ? mean('loss', byComparisons) : mean('nll', nllWeight),
    chosenReward: mean('chosenReward', byComparisons),
    rejectedReward: mean('rejectedReward', byComparisons),
    margin: mean('margin', byComparisons),
    accuracy: mean('accuracy', byComparisons),
    nll: mean('nll', nllWeight),
    comparisons: total((p) => p.metrics.comparisons),
    gradNorm: mean('gradNorm', (p) => p.items),
    steps: total((p) => p.metrics.steps),
  };
}

/** Is held-out `a` better than `b`: higher pair accuracy (ties: lower loss), or lower NLL for sft? */
export function heldOutBetter(a: TrainMetrics, b: TrainMetrics, pairs: boolean): boolean {
  if (!pairs) return a.nll < b.nll;
  return a.accuracy > b.accuracy || (a.accuracy === b.accuracy && a.loss < b.loss);
}

export class TrainingRun {
  private readonly pairs: boolean;
  readonly batchesPerEpoch: number;
  readonly totalSteps: number;

  constructor(
    private readonly trainer: HeadTrainer,
    private readonly set: TrainingSet,
    private readonly split: HeldOutSplit,
    private readonly settings: TrainingSettings,
    private readonly events: RunEvents = {},
  ) {
    if (split.train.length === 0) throw new Error('no training items left after the held-out split');
    this.pairs = set.kind === 'pairs';
    this.batchesPerEpoch = Math.ceil(split.train.length / settings.batchSize);
    this.totalSteps = this.batchesPerEpoch * settings.epochs;
  }

  /** Epochs done after `step` optimizer steps (fractional within an epoch). */
  epochAt(step: number): number {
    return step / this.batchesPerEpoch;
  }

  /** The order of the training items in an epoch: a pure function of (seed, epoch). */
  epochOrder(epoch: number): number[] {
    return new SeededRandom('grape train order', this.settings.seed, epoch).shuffle(this.split.train);
  }

  async evaluate(items: readonly number[]): Promise<TrainMetrics> {
    const parts: { metrics: TrainMetrics; items: number }[] = [];
    for (let i = 0; i < items.length; i += EVAL_CHUNK) {
      const chunk = items.slice(i, i + EVAL_CHUNK);
      parts.push({ metrics: await this.trainer.evaluate(batchOf(this.set, chunk)), items: chunk.length });
    }
    return combineMetrics(parts, this.pairs);
  }

  /**
   * Uploads the data and trains. `resume`: a snapshot of this run (the trainer must have been built
   * with its parameters); its reference and optimizer state are restored and training goes on
   * from the batch after the last one it saw.
   */
  async run(resume?: RunSnapshot): Promise<RunResult> {
    const { trainer, settings, split } = this;
    const spec = trainer.spec;
    await trainer.upload(
      packTrainingData(
        this.set,
        { features: stepFeatures(spec), actionDims: spec.actionDims },
        settings.featureDtype,
      ),
    );
    let reference: Float32Array;
    let state: Omit<RunSnapshot, 'reference' | 'parameters' | 'optimizer'>;
    if (resume) {
      reference = resume.reference;
      await trainer.setReference(reference);
      this.events.onReference?.(reference);
      await trainer.setOptimizerState(resume.optimizer);
      state = { ...resume, evals: [...resume.evals] };
    } else {
      reference = await trainer.computeReference();
      this.events.onReference?.(reference);
      const start = await trainer.getParameters();
      state = { step: 0, epoch: 0, batchInEpoch: 0, evals: [], bestStep: 0, sinceBest: 0, best: start };
      if (split.heldOut.length > 0) {
        const first: EvalRecord = {
          step: 0,
          epoch: 0,
          heldOut: await this.evaluate(split.heldOut),
          best: true,
        };
        state.evals.push(first);
        this.events.onEval?.(first);
      }
    }
    let sinceEval: { metrics: TrainMetrics; items: number }[] = [];
    const bestHeldOut = () => state.evals.find((e) => e.step === state.bestStep)?.heldOut;
    const startNll = state.evals.find((e) => e.step === 0)?.heldOut?.nll;
    const withinNllRise = (m: TrainMetrics) =>
      !this.pairs ||
      settings.maxNllRise === undefined ||
      startNll === undefined ||
      m.nll <= startNll * (1 + settings.maxNllRise);

    const checkpoint = async () => {
      const record: EvalRecord = {
        step: state.step,
        epoch: this.epochAt(state.step),
        train: combineMetrics(sinceEval, this.pairs),
        best: false,
      };
      sinceEval = [];
      if (split.heldOut.length > 0) {
        record.heldOut = await this.evaluate(split.heldOut);
        const best = bestHeldOut();
        if (!best || (withinNllRise(record.heldOut) && heldOutBetter(record.heldOut, best, this.pairs))) {
          record.best = true;
          state.bestStep = state.step;
          state.sinceBest = 0;
          state.best = await trainer.getParameters();
        } else {
          state.sinceBest++;
          if (settings.patience > 0 && state.sinceBest >= settings.patience)
            state.stopped = `early stopping: no held-out improvement in ${state.sinceBest} evaluations (best at step ${state.bestStep})`;
        }
      } else {
        record.best = true;
        state.bestStep = state.step;
        state.best = await trainer.getParameters();
      }
      state.evals.push(record);
      this.events.onEval?.(record);
      if (this.events.onSnapshot)
        await this.events.onSnapshot({
          ...state,
          evals: [...state.evals],
          reference,
          parameters: await trainer.getParameters(),
          optimizer: await trainer.getOptimizerState(),
        });
    };

    let order: number[] = [];
    let orderEpoch = -1;
    while (state.stopped === undefined && state.step < this.totalSteps) {
      if (orderEpoch !== state.epoch) {
        order = this.epochOrder(state.epoch);
        orderEpoch = state.epoch;
      }
      const b = state.batchInEpoch;
      const items = order.slice(b * settings.batchSize, (b + 1) * settings.batchSize);
      const metrics = await trainer.step(batchOf(this.set, items));
      state.step++;
      state.batchInEpoch++;
      sinceEval.push({ metrics, items: items.length });
      this.events.onStep?.({
        step: state.step,
        totalSteps: this.totalSteps,
        epoch: this.epochAt(state.step),
        metrics,
      });
      const endOfEpoch = state.batchInEpoch === this.batchesPerEpoch;
      if (endOfEpoch) {
        state.epoch++;
        state.batchInEpoch = 0;
      }
      const due = settings.evalEvery > 0 ? state.step % settings.evalEvery === 0 : endOfEpoch;
      if (due || state.step === this.totalSteps) await checkpoint();
    }
    state.stopped ??= `${settings.epochs} epoch(s) done`;
    return {
      parameters: state.best,
      bestStep: state.bestStep,
      steps: state.step,
      stopped: state.stopped,
      evals: state.evals,
      reference,
    };
  }
}
