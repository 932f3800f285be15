// One evaluation: a policy checkpoint run on one generalization split over fixed initial-state seeds
// of each task, and what every episode did. It is what `grape eval` stores and what the report and
// paired comparisons read, so it carries everything needed to interpret it (decoding, seeds, policy).
import { isSplitName, type SplitName } from '../sim/splits.js';

export const EVALUATION_FORMAT = 'grape-evaluation/1';

export interface EvaluationEpisode {
  taskId: string;
  seed: number;
  /** The recorded episode in the index (its bag holds every step). */
  episodeId: string;
  success: boolean;
  steps: number;
  /** Onsets of contact with anything but the task's target. */
  collisions: number;
  /** End-effector path length, m. */
  pathLength: number;
}

export interface EvaluationPolicy {
  /** The checkpoint id episodes are recorded under: name@version/<adapter id or base>. */
  checkpointId: string;
  modelDir: string;
  /** undefined: the package's own head. */
  adapterId?: string;
  /** How the checkpoint was chosen: named, or the model's promoted one. */
  chosenAs: 'named' | 'promoted';
}

export interface EvaluationDecoding {
  greedy: boolean;
  temperature: number;
  topK: number;
  seed: number;
}

export interface EvaluationRun {
  format: typeof EVALUATION_FORMAT;
  id: string;
  createdAt: string;
  /** A name for tables and plots (e.g. "GRAPE round 2"); the checkpoint id when absent. */
  label?: string;
  policy: EvaluationPolicy;
  split: SplitName;
  decoding: EvaluationDecoding;
  /** The index session the episodes were recorded in. */
  sessionId?: string;
  episodes: EvaluationEpisode[];
}

/** What tables and plots call an evaluation's policy. */
export function policyLabel(run: Pick<EvaluationRun, 'label' | 'policy'>): string {
  return run.label ?? run.policy.checkpointId;
}

type Json = Record<string, unknown>;

function field<T>(o: Json, key: string, where: string, check: (v: unknown) => v is T, expected: string): T {
  const v = o[key];
  if (!check(v)) throw new Error(`${where}.${key}: expected ${expected}, found ${JSON.stringify(v)}`);
  return v;
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isBoolean = (v: unknown): v is boolean => typeof v === 'boolean';
const isCount = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isSplit = (v: unknown): v is SplitName => typeof v === 'string' && isSplitName(v);
const isOptionalString = (v: unknown): v is string | undefined => v === undefined || isString(v);

function parseEpisode(value: unknown, where: string): EvaluationEpisode {
  if (!isObject(value)) throw new Error(`${where}: expected an object`);
  return {
    taskId: field(value, 'taskId', where, isString, 'a task id'),
    seed: field(value, 'seed', where, isCount, 'a non-negative integer'),
    episodeId: field(value, 'episodeId', where, isString, 'an episode id'),
    success: field(value, 'success', where, isBoolean, 'true or false'),
    steps: field(value, 'steps', where, isCount, 'a step count'),
    collisions: field(value, 'collisions', where, isCount, 'a collision count'),
    pathLength: field(value, 'pathLength', where, isFiniteNumber, 'a path length in m'),
  };
}

/** Checks a parsed evaluation document field by field; `source` names it in errors. */
export function parseEvaluationRun(value: unknown, source: string): EvaluationRun {
  if (!isObject(value)) throw new Error(`${source}: not an evaluation (expected a JSON object)`);
  if (value.format !== EVALUATION_FORMAT)
    throw new Error(`${source}: format is ${JSON.stringify(value.format)}, expected '${EVALUATION_FORMAT}'`);
  const policy = field(value, 'policy', source, isObject, 'an object');
  const decoding = field(value, 'decoding', source, isObject, 'an object');
  const episodes = field(value, 'episodes', source, Array.isArray, 'an array');
  if (episodes.length === 0) throw new Error(`${source}.episodes: empty`);
  const label = field(value, 'label', source, isOptionalString, 'a string');
  const sessionId = field(value, 'sessionId', source, isOptionalString, 'a session id');
  const adapterId = field(policy, 'adapterId', `${source}.policy`, isOptionalString, 'an adapter id');
  return {
    format: EVALUATION_FORMAT,
    id: field(value, 'id', source, isString, 'an evaluation id'),
    createdAt: field(value, 'createdAt', source, isString, 'an ISO time'),
    ...(label === undefined ? {} : { label }),
    policy: {
      checkpointId: field(policy, 'checkpointId', `${source}.policy`, isString, 'a checkpoint id'),
      modelDir: field(policy, 'modelDir', `${source}.policy`, isString, 'a directory'),
      ...(adapterId === undefined ? {} : { adapterId }),
      chosenAs: field(
        policy,
        'chosenAs',
        `${source}.policy`,
        (v): v is EvaluationPolicy['chosenAs'] => v === 'named' || v === 'promoted',
        "'named' or 'promoted'",
      ),
    },
    split: field(value, 'split', source, isSplit, 'a split name'),
    decoding: {
      greedy: field(decoding, 'greedy', `${source}.decoding`, isBoolean, 'true or false'),
      temperature: field(decoding, 'temperature', `${source}.decoding`, isFiniteNumber, 'a number'),
      topK: field(decoding, 'topK', `${source}.decoding`, isCount, 'a non-negative integer'),
      seed: field(decoding, 'seed', `${source}.decoding`, isCount, 'a non-negative integer'),
    },
    ...(sessionId === undefined ? {} : { sessionId }),
    episodes: episodes.map((e, i) => parseEpisode(e, `${source}.episodes[${i}]`)),
  };
}
