// `grape train` as a function: a new run (or a resumed one) from the episode index to a registered
// checkpoint. The run directory gets the JSONL log, resumable snapshots and the summary; the
// model package gets adapters/<id>.safetensors with its lineage, data, hyper-parameters and
// metrics in the header; the index gets the checkpoint (and the promotion, when asked).
import { randomBytes } from 'node:crypto';

import type { Checkpoint, EpisodeIndex } from '../episode/episode-index.js';
import type { HeadSpec } from '../native/head-types.js';
import type { HeadTrainer, TrainMetrics, TrainerConfig } from '../native/trainer-types.js';
import { checkpointParameters, initialHead } from './initial-head.js';
import { referenceGap, type ReferenceGap } from './reference-gap.js';
import { RunDirectory, type RunManifest } from './run-directory.js';
import {
  openModel,
  prepareTraining,
  selectTrainingSet,
  type DataSelection,
  type TrainingInputs,
} from './training-inputs.js';
import { TrainingRun, type EvalRecord, type RunEvents, type RunResult } from './training-run.js';
import { checkSettings, type TrainingSettings } from './training-settings.js';
import { countSteps, restrictTrainingSet } from './training-set.js';

export type TrainerFactory = (
  spec: HeadSpec,
  config: TrainerConfig,
  initial: Record<string, Float32Array>,
) => HeadTrainer;

export interface TrainRequest {
  modelDir: string;
  /** Parent checkpoint (default: the promoted one). */
  from?: string;
  settings: TrainingSettings;
  selection: DataSelection;
  /** The new checkpoint's adapter id, also the run id (default: <objective>-<time>-<random>). */
  id?: string;
  promote?: boolean;
}

export interface JobEvents extends Omit<RunEvents, 'onSnapshot' | 'onReference'> {
  onRead?: (done: number, total: number) => void;
  onStart?: (manifest: RunManifest, run: TrainingRun) => void;
  onReferenceGap?: (gap: ReferenceGap) => void;
}

export interface TrainingSummary {
  runId: string;
  checkpoint: string;
  adapterId: string;
  adapterFile: string;
  parent: string;
  model: string;
  objective: string;
  trainable: string;
  storedAs: string;
  device: string;
  data: {
    kind: string;
    items: number;
    train: number;
    heldOut: number;
    trajectories: number;
    steps: number;
    policySteps: number;
    excluded: number;
  };
  referenceGap: ReferenceGap;
  steps: number;
  bestStep: number;
  stopped: string;
  /** Held-out metrics at the best step and at the start. */
  heldOut?: { start: TrainMetrics; best: TrainMetrics };
  /** Training metrics over the last evaluation interval. */
  train?: TrainMetrics;
  seconds: number;
  stepsPerSecond: number;
  settings: TrainingSettings;
  promoted: boolean;
  logPath: string;
}

export function trainerConfig(s: TrainingSettings): TrainerConfig {
  return {
    objective: s.objective,
    trainable: s.trainable,
    beta: s.beta,
    nllWeight: s.nllWeight,
    lr: s.lr,
    weightDecay: s.weightDecay,
    maxGradNorm: s.maxGradNorm,
  };
}

function newRunId(objective: string): string {
  const iso = new Date().toISOString();
  const stamp = `${iso.slice(0, 10).replaceAll('-', '')}-${iso.slice(11, 19).replaceAll(':', '')}`;
  return `${objective.replace('+', '-')}-${stamp}-${randomBytes(3).toString('hex')}`;
}

function evalAt(evals: readonly EvalRecord[], step: number): EvalRecord | undefined {
  return evals.find((e) => e.step === step);
}

async function execute(
  inputs: TrainingInputs,
  dir: RunDirectory,
  factory: TrainerFactory,
  events: JobEvents,
  promote: boolean,
): Promise<TrainingSummary> {
  const { store, parentId, set, split } = inputs;
  const settings = dir.manifest.settings;
  const snapshot = await dir.loadSnapshot();
  const initial = initialHead(store.pkg, inputs.parent, settings.trainable, settings.lora, settings.seed);
  const trainer = factory(initial.spec, trainerConfig(settings), snapshot?.parameters ?? initial.parameters);
  const started = performance.now();
  let gap: ReferenceGap | undefined;
  let result: RunResult;
  try {
    const run = new TrainingRun(trainer, set, split, settings, {
      onReference: (reference) => {
        gap = referenceGap(set, reference, store.checkpointId(parentId));
        dir.log({ type: 'reference', gap });
        events.onReferenceGap?.(gap);
      },
      onStep: (r) => {
        dir.log({ type: 'step', step: r.step, epoch: r.epoch, ...r.metrics });
        events.onStep?.(r);
      },
      onEval: (r) => {
        dir.log({ type: 'eval', ...r });
        events.onEval?.(r);
      },
      onSnapshot: (s) => dir.saveSnapshot(s),
    });
    dir.log(
      snapshot
        ? { type: 'resume', step: snapshot.step, device: trainer.device }
        : {
            type: 'start',
            device: trainer.device,
            steps: run.totalSteps,
            batchesPerEpoch: run.batchesPerEpoch,
          },
    );
    events.onStart?.(dir.manifest, run);
    result = await run.run(snapshot);
  } finally {
    trainer.dispose();
  }
  const seconds = (performance.now() - started) / 1000;
  const best = evalAt(result.evals, result.bestStep);
  const start = evalAt(result.evals, 0)?.heldOut;
  const counts = countSteps(set);
  const summaryBase = {
    runId: dir.runId,
    model: store.model,
    parent: parentId,
    objective: settings.objective,
    trainable: settings.trainable,
    storedAs: initial.storeAs,
    device: dir.manifest.device,
    data: {
      kind: set.kind,
      items: set.items.length,
      train: split.train.length,
      heldOut: split.heldOut.length,
      trajectories: set.trajectories.length,
      ...counts,
      excluded: set.excluded.length,
    },
    referenceGap: gap!,
    steps: result.steps,
    bestStep: result.bestStep,
    stopped: result.stopped,
    ...(best?.heldOut && start ? { heldOut: { start, best: best.heldOut } } : {}),
    ...(result.evals.at(-1)?.train ? { train: result.evals.at(-1)!.train! } : {}),
    seconds,
    stepsPerSecond: result.steps / seconds,
    settings,
  };
  const adapterId = dir.runId;
  const checkpoint: Checkpoint = await store.save(
    adapterId,
    {
      kind: initial.storeAs,
      parent: parentId,
      objective: settings.objective,
      ...(initial.storeAs === 'lora' ? { lora: settings.lora } : {}),
      parameters: checkpointParameters(initial, result.parameters),
      metadata: {
        created: new Date().toISOString(),
        run: dir.runId,
        model: store.model,
        data: JSON.stringify(dir.manifest.data),
        selection: JSON.stringify(dir.manifest.selection),
        hyperparameters: JSON.stringify(settings),
        metrics: JSON.stringify({
          steps: result.steps,
          bestStep: result.bestStep,
          stopped: result.stopped,
          heldOut: summaryBase.heldOut,
          train: summaryBase.train,
          referenceGap: gap,
        }),
      },
    },
    { run: dir.runId, heldOut: summaryBase.heldOut?.best, referenceGap: gap, data: summaryBase.data },
  );
  if (promote) await store.promote(adapterId, `trained by run ${dir.runId}`);
  const summary: TrainingSummary = {
    ...summaryBase,
    checkpoint: checkpoint.id,
    adapterId,
    adapterFile: store.pkg.adapters.find((a) => a.id === adapterId)!.file,
    promoted: promote,
    logPath: dir.logPath,
  };
  dir.log({ type: 'end', checkpoint: checkpoint.id, stopped: result.stopped, seconds });
  dir.writeSummary({ ...summary });
  return summary;
}

/** A new run: selects the data, trains, writes and registers the checkpoint. */
export async function trainCheckpoint(
  index: EpisodeIndex,
  request: TrainRequest,
  factory: TrainerFactory,
  events: JobEvents = {},
  device = '',
): Promise<TrainingSummary> {
  checkSettings(request.settings);
  const inputs = await prepareTraining(index, {
    modelDir: request.modelDir,
    ...(request.from === undefined ? {} : { from: request.from }),
    objective: request.settings.objective,
    selection: request.selection,
    heldOutShare: request.settings.heldOutShare,
    seed: request.settings.seed,
    ...(events.onRead ? { onRead: events.onRead } : {}),
  });
  const { set, split, store } = inputs;
  const dir = RunDirectory.create(index.dataDir, {
    runId: request.id ?? newRunId(request.settings.objective),
    createdAt: new Date().toISOString(),
    modelDir: store.pkg.dir,
    model: store.model,
    parent: inputs.parentId,
    settings: request.settings,
    selection: { ...request.selection },
    data: {
      kind: set.kind,
      items: set.items.map((i) => i.id),
      trajectories: set.trajectories.map((t) => t.episodeId),
      heldOut: split.heldOut.map((i) => set.items[i]!.id),
    },
    device,
  });
  return execute(inputs, dir, factory, events, request.promote ?? false);
}

/** Goes on with a run from its last snapshot, on exactly the data it started with. */
export async function resumeTraining(
  index: EpisodeIndex,
  runId: string,
  factory: TrainerFactory,
  events: JobEvents = {},
  promote = false,
): Promise<TrainingSummary> {
  const dir = RunDirectory.open(index.dataDir, runId);
  const done = dir.readSummary();
  if (done) throw new Error(`run ${runId} has finished: its checkpoint is ${String(done.checkpoint)}`);
  const m = dir.manifest;
  const model = await openModel(index, m.modelDir, m.parent);
  if (model.store.model !== m.model)
    throw new Error(`run ${runId} trained ${m.model}; ${m.modelDir} now holds ${model.store.model}`);
  const selected = await selectTrainingSet(
    index,
    m.settings.objective,
    m.selection,
    model.shape,
    events.onRead,
  );
  const set = restrictTrainingSet(selected, m.data);
  const heldOut = new Set(m.data.heldOut);
  const split = { train: [] as number[], heldOut: [] as number[] };
  set.items.forEach((item, i) => (heldOut.has(item.id) ? split.heldOut : split.train).push(i));
  return execute({ ...model, set, split }, dir, factory, events, promote);
}
