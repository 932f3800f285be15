// Wiring: `grape eval` as a function. A policy checkpoint (named, or the model's promoted one) runs
// the evaluation seeds of each task on one split through the simulator runner; the episodes are
// recorded in an index session of their own, and the evaluation is stored for the report and for
// paired comparisons.
import { resolve } from 'node:path';

import type { EvaluationDecoding, EvaluationRun } from '../eval/evaluation-run.js';
import { EVALUATION_FORMAT } from '../eval/evaluation-run.js';
import { newEvaluationId, saveEvaluation } from '../eval/evaluation-store.js';
import { summarizeEvaluation, type EvaluationSummary } from '../eval/evaluation-summary.js';
import { EpisodeIndex } from '../episode/episode-index.js';
import { BASE_CHECKPOINT, loadModelPackage } from '../policy/model-package.js';
import type { SplitName } from '../sim/splits.js';
import { EVALUATION_SEEDS } from '../sim/task-registry.js';
import { CheckpointStore } from '../tpo/checkpoint-store.js';
import { ensureDefaultModel } from './model-location.js';
import { resolvePromotedCheckpoint } from './promoted-policy.js';
import { episodeRequests, runSimEpisodes, type SimBatchReport } from './sim-episodes.js';
import type { SimEpisodeResult } from './sim-runner.js';

/** `checkpoint` value that evaluates what the model's policy node loads. */
export const PROMOTED = 'promoted';

export interface SimEvaluationRequest {
  dataDir: string;
  /** Model package directory (default: <data-dir>/models/grape-default, built if missing). */
  modelDir?: string;
  /** 'promoted' (default), 'base', an adapter id, or a checkpoint id of this model. */
  checkpoint?: string;
  split: SplitName;
  taskIds: readonly string[];
  /** Per task: evaluation seeds seedStart … seedStart + episodes − 1. */
  episodes: number;
  seedStart?: number;
  decoding: EvaluationDecoding;
  device?: string;
  label?: string;
  /** Processes that run the episodes (default 1). */
  jobs?: number;
  onEpisode?: (result: SimEpisodeResult, index: number) => void;
}

export interface SimEvaluation {
  run: EvaluationRun;
  summary: EvaluationSummary;
  /** Where the evaluation was stored. */
  path: string;
  /** The default model was generated for this evaluation. */
  createdModel: boolean;
}

function checkSeeds(episodes: number, seedStart: number): void {
  if (!Number.isInteger(episodes) || episodes < 1)
    throw new Error(`episodes per task must be a positive integer, not ${episodes}`);
  if (!Number.isInteger(seedStart) || seedStart < 0)
    throw new Error(`the first seed must be a non-negative integer, not ${seedStart}`);
  const last = EVALUATION_SEEDS.at(-1)!;
  if (seedStart + episodes - 1 > last)
    throw new Error(
      `evaluation seeds are ${EVALUATION_SEEDS[0]}–${last}: ${episodes} episodes from seed ${seedStart} would run past ${last}`,
    );
}

/** The adapter to load (undefined: the package's own head), checked before any episode runs. */
async function resolveAdapter(
  dataDir: string,
  modelDir: string,
  index: EpisodeIndex,
  ref: string,
): Promise<{ adapterId?: string; chosenAs: 'named' | 'promoted' }> {
  if (ref === PROMOTED) {
    const { adapterId } = await resolvePromotedCheckpoint(dataDir, modelDir);
    return { ...(adapterId === undefined ? {} : { adapterId }), chosenAs: 'promoted' };
  }
  const store = new CheckpointStore(index, await loadModelPackage(modelDir));
  const adapterId = store.adapterIdOf(ref);
  if (adapterId === BASE_CHECKPOINT) return { chosenAs: 'named' };
  await store.readAdapter(adapterId);
  return { adapterId, chosenAs: 'named' };
}

export async function evaluateOnSim(request: SimEvaluationRequest): Promise<SimEvaluation> {
  const seedStart = request.seedStart ?? EVALUATION_SEEDS[0]!;
  checkSeeds(request.episodes, seedStart);
  if (request.taskIds.length === 0) throw new Error('name at least one task to evaluate');
  let modelDir = request.modelDir;
  let createdModel = false;
  if (modelDir === undefined)
    ({ dir: modelDir, created: createdModel } = await ensureDefaultModel(request.dataDir));
  else modelDir = resolve(modelDir);
  const id = newEvaluationId();
  const index = EpisodeIndex.open(request.dataDir);
  let adapter: Awaited<ReturnType<typeof resolveAdapter>>;
  let sessionId: string;
  try {
    adapter = await resolveAdapter(request.dataDir, modelDir, index, request.checkpoint ?? PROMOTED);
    sessionId = index.startSession({ operator: 'grape eval', notes: `evaluation ${id}` }).id;
  } finally {
    index.close();
  }
  const requests = episodeRequests(request.taskIds, request.episodes, seedStart, request.split);
  let batch: SimBatchReport;
  try {
    batch = await runSimEpisodes({
      dataDir: request.dataDir,
      modelDir,
      ...(adapter.adapterId === undefined ? {} : { adapter: adapter.adapterId }),
      ...(request.device === undefined ? {} : { device: request.device }),
      sampling: request.decoding,
      actor: 'policy',
      requests,
      sessionId,
      ...(request.jobs === undefined ? {} : { jobs: request.jobs }),
      ...(request.onEpisode ? { onEpisode: request.onEpisode } : {}),
    });
  } finally {
    const closing = EpisodeIndex.open(request.dataDir);
    try {
      closing.endSession(sessionId);
    } finally {
      closing.close();
    }
  }
  const run: EvaluationRun = {
    format: EVALUATION_FORMAT,
    id,
    createdAt: new Date().toISOString(),
    ...(request.label === undefined ? {} : { label: request.label }),
    policy: {
      checkpointId: batch.policyId,
      modelDir: batch.modelDir,
      ...(adapter.adapterId === undefined ? {} : { adapterId: adapter.adapterId }),
      chosenAs: adapter.chosenAs,
    },
    split: request.split,
    decoding: request.decoding,
    sessionId,
    episodes: batch.results.map((r) => ({
      taskId: r.taskId,
      seed: r.seed,
      episodeId: r.episodeId,
      success: r.success,
      steps: r.steps,
      collisions: r.collisions,
      pathLength: r.pathLength,
    })),
  };
  const path = saveEvaluation(request.dataDir, run);
  return { run, summary: summarizeEvaluation(run.episodes), path, createdModel };
}
