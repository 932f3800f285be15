// A small grid search over learning rate, β and epochs on one data set and held-out split: one run
// per (lr, β) for the largest epoch count, its held-out metrics read at each epoch count of the grid
// (the learning rate is constant, so a shorter run is a prefix of a longer one). Nothing is written
// to the model package; the best row says what to pass to grape train.
import type { TrainMetrics } from '../native/trainer-types.js';
import { initialHead } from './initial-head.js';
import type { TrainerFactory } from './training-job.js';
import { trainerConfig } from './training-job.js';
import type { TrainingInputs } from './training-inputs.js';
import { heldOutBetter, TrainingRun } from './training-run.js';
import { checkSettings, type TrainingSettings } from './training-settings.js';

export interface SweepGrid {
  lr: number[];
  /** Ignored for sft. */
  beta: number[];
  epochs: number[];
}

export interface SweepRow {
  lr: number;
  beta: number;
  epochs: number;
  steps: number;
  heldOut: TrainMetrics;
  /** Training metrics over the epoch that ended there. */
  train?: TrainMetrics;
}

export interface SweepResult {
  rows: SweepRow[];
  best: SweepRow;
  /** Held-out metrics of the parent checkpoint (before any step). */
  start: TrainMetrics;
}

export async function sweepHyperparameters(
  inputs: TrainingInputs,
  base: TrainingSettings,
  grid: SweepGrid,
  factory: TrainerFactory,
  onRun?: (done: number, total: number, row?: SweepRow) => void,
): Promise<SweepResult> {
  const { set, split, store, parent } = inputs;
  if (split.heldOut.length === 0)
    throw new Error('a sweep needs held-out data: --held-out above 0 and at least two initial states');
  const pairs = set.kind === 'pairs';
  const epochs = [...new Set(grid.epochs)].sort((a, b) => a - b);
  const betas = pairs ? [...new Set(grid.beta)] : [base.beta];
  const lrs = [...new Set(grid.lr)];
  const rows: SweepRow[] = [];
  let start: TrainMetrics | undefined;
  const total = lrs.length * betas.length;
  onRun?.(0, total);
  for (const lr of lrs)
    for (const beta of betas) {
      const settings: TrainingSettings = {
        ...base,
        lr,
        beta,
        epochs: epochs.at(-1)!,
        patience: 0,
        evalEvery: 0,
      };
      checkSettings(settings);
      const initial = initialHead(store.pkg, parent, settings.trainable, settings.lora, settings.seed);
      const trainer = factory(initial.spec, trainerConfig(settings), initial.parameters);
      try {
        const run = new TrainingRun(trainer, set, split, settings);
        const result = await run.run();
        start ??= result.evals[0]!.heldOut!;
        for (const e of epochs) {
          const at = result.evals.find((r) => r.step === e * run.batchesPerEpoch)!;
          rows.push({
            lr,
            beta,
            epochs: e,
            steps: at.step,
            heldOut: at.heldOut!,
            ...(at.train ? { train: at.train } : {}),
          });
        }
      } finally {
        trainer.dispose();
      }
      onRun?.(rows.length / epochs.length, total, rows.at(-1));
    }
  const best = rows.reduce((b, r) => (heldOutBetter(r.heldOut, b.heldOut, pairs) ? r : b));
  return { rows, best, start: start! };
}
