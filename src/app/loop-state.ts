// The state file of one GRAPE loop, <data-dir>/loops/<loop id>/loop.json: the parameters it runs
// with and, per round and stage, what was done — episode ids (and the index session they were
// recorded in), scoring, pairs, the training run and its checkpoint, the promotion, evaluations.
// It is rewritten atomically after every step of progress, so a loop cut short anywhere resumes
// from it (`grape iterate --resume <loop id>`), skipping what is finished.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import type { SplitName } from '../sim/splits.js';
import type { TrainingSettings } from '../tpo/training-settings.js';
import { baselineSettings, type BaselineName, type LoopParameters } from './loop-parameters.js';

export const LOOP_FORMAT = 'grape-loop/2';
const LOOP_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** One recorded episode of a stage (demonstration or rollout). */
export interface LoopEpisode {
  episodeId: string;
  taskId: string;
  seed: number;
  /** Rollouts: which of the seed's rollouts, and the seed of its sampling draws. */
  rollout?: number;
  samplingSeed?: number;
  success: boolean;
  steps: number;
  collisions: number;
}

/** Demonstrations (round 0) or rollouts (round k): recorded in one index session. */
export interface EpisodeStage {
  sessionId: string;
  /** The checkpoint that acted ('expert:scripted' for demonstrations). */
  policyId: string;
  planned: number;
  episodes: LoopEpisode[];
  done: boolean;
}

export interface ScoringStage {
  objective: string;
  tasks: {
    taskId: string;
    specVersion?: string;
    provenance?: string;
    scored: number;
    successes: number;
    meanScore?: number;
    minScore?: number;
    maxScore?: number;
    failures: { episodeId: string; error: string }[];
  }[];
  done: boolean;
}

export interface PairStage {
  iteration: number;
  /** Pairs of this round in the index (stored now or before). */
  pairs: number;
  storedPairIds: number[];
  tasks: { taskId: string; pairs: number; groups: number; tooClose: number; excluded: number }[];
  done: boolean;
}

export interface TrainingStage {
  runId: string;
  objective: string;
  /** Adapter id trained from ('base' for the package's head). */
  parent: string;
  status: 'running' | 'done' | 'skipped';
  reason?: string;
  checkpointId?: string;
  adapterId?: string;
  steps?: number;
  stopped?: string;
  items?: number;
  seconds?: number;
  /** Held-out metric at the best step: pair accuracy (preference) or NLL (sft). */
  heldOut?: { accuracy: number; loss: number; nll: number };
}

export interface LoopEvaluation {
  split: SplitName;
  id: string;
  label: string;
  checkpointId: string;
  path: string;
  episodes: number;
  successRate: number;
  successInterval: { low: number; high: number };
  collisionRate: number;
  meanSteps: number;
}

export interface RoundState {
  round: number;
  /** The policy the round starts from (round 0: the package's base head). */
  parent: { adapterId: string; checkpointId: string };
  /** Round 0: expert demonstrations; round k: the parent's sampled rollouts. */
  episodes?: EpisodeStage;
  scoring?: ScoringStage;
  pairs?: PairStage;
  training?: TrainingStage;
  /** The round's policy (its trained checkpoint, or the parent when nothing could be trained). */
  result?: { adapterId: string; checkpointId: string };
  promotion?: { checkpointId: string; promotionId?: number; alreadyPromoted?: boolean };
  /** Round 1 only: the baselines asked for, trained from the same parent on the round's rollouts. */
  baselines?: Partial<Record<BaselineName, BaselineState>>;
  evaluations: LoopEvaluation[];
  done: boolean;
}

export interface BaselineState {
  training?: TrainingStage;
  evaluations: LoopEvaluation[];
}

export interface LoopState {
  format: typeof LOOP_FORMAT;
  id: string;
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
  /** The model package's name@version. */
  model: string;
  /** The loop whose round 0 this one started from (forkLoop). */
  forkedFrom?: string;
  parameters: LoopParameters;
  rounds: RoundState[];
}

export function loopsDir(dataDir: string): string {
  return join(resolve(dataDir), 'loops');
}

export function loopStatePath(dataDir: string, id: string): string {
  if (!LOOP_ID.test(id)) throw new Error(`'${id}' is not a valid loop id`);
  return join(loopsDir(dataDir), id, 'loop.json');
}

/** loop-YYYYMMDD-HHMMSS-<6 hex>: sorts by time, unique across machines. */
export function newLoopId(at = new Date()): string {
  const iso = at.toISOString();
  const stamp = `${iso.slice(0, 10).replaceAll('-', '')}-${iso.slice(11, 19).replaceAll(':', '')}`;
  return `loop-${stamp}-${randomBytes(3).toString('hex')}`;
}

/** Writes the state atomically (a temporary file renamed over the old one). */
export function saveLoopState(dataDir: string, state: LoopState): void {
  const path = loopStatePath(dataDir, state.id);
  mkdirSync(join(path, '..'), { recursive: true });
  state.updatedAt = new Date().toISOString();
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(tmp, path);
}

export function loadLoopState(dataDir: string, id: string): LoopState {
  const path = loopStatePath(dataDir, id);
  if (!existsSync(path)) {
    const known = listLoopIds(dataDir);
    throw new Error(
      `no GRAPE loop ${id} in ${resolve(dataDir)} (no ${path})${known.length ? `; loops there: ${known.join(', ')}` : ''}`,
    );
  }
  let state: Omit<LoopState, 'format'> & { format: unknown };
  try {
    state = JSON.parse(readFileSync(path, 'utf8')) as typeof state;
  } catch (error) {
    throw new Error(`${path}: not a loop state file (${(error as Error).message})`, { cause: error });
  }
  if (state.format === LOOP_FORMAT_1) state = fromFormat1(state as unknown as LoopStateFormat1);
  if (state.format !== LOOP_FORMAT)
    throw new Error(`${path}: format ${JSON.stringify(state.format)}, not ${LOOP_FORMAT}`);
  if (state.id !== id) throw new Error(`${path}: names loop ${state.id}, not ${id}`);
  return state as LoopState;
}

const LOOP_FORMAT_1 = 'grape-loop/1';

/** Format 1 knew one baseline, step-DPO, as a flag and a round's `baseline`. */
type LoopStateFormat1 = Omit<LoopState, 'format' | 'parameters' | 'rounds'> & {
  format: typeof LOOP_FORMAT_1;
  parameters: Omit<LoopParameters, 'baselines' | 'training'> & {
    stepDpoBaseline: boolean;
    training: { sft: TrainingSettings; tpo: TrainingSettings; stepDpo: TrainingSettings };
  };
  rounds: (Omit<RoundState, 'baselines'> & { baseline?: BaselineState })[];
};

function fromFormat1(old: LoopStateFormat1): LoopState {
  const { stepDpoBaseline, training, ...parameters } = old.parameters;
  return {
    ...old,
    format: LOOP_FORMAT,
    parameters: {
      ...parameters,
      baselines: stepDpoBaseline ? ['step-dpo'] : [],
      training: {
        sft: training.sft,
        tpo: training.tpo,
        baselines: { ...baselineSettings(), 'step-dpo': training.stepDpo },
      },
    },
    rounds: old.rounds.map(({ baseline, ...round }) => ({
      ...round,
      ...(baseline ? { baselines: { 'step-dpo': baseline } } : {}),
    })),
  };
}

/** The loops of a data dir, oldest first. */
export function listLoopIds(dataDir: string): string[] {
  const dir = loopsDir(dataDir);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(dir, e.name, 'loop.json')))
    .map((e) => e.name)
    .sort();
}
