// What every training run (and sweep) starts from: the model package and its checkpoint store, the
// parent checkpoint, the data selected from the episode index, and the held-out split.
import type { EpisodeIndex } from '../episode/episode-index.js';
import { stepFeatures } from '../native/head-types.js';
import type { Objective } from '../native/trainer-types.js';
import { BASE_CHECKPOINT, loadModelPackage, type LoadedAdapter } from '../policy/model-package.js';
import { CheckpointStore } from './checkpoint-store.js';
import type { StepShape } from './episode-trajectory.js';
import { splitHeldOut, type HeldOutSplit } from './held-out-split.js';
import { preferenceDataset } from './preference-dataset.js';
import { sftDataset, type SftSource } from './sft-dataset.js';
import type { TrainingSet } from './training-set.js';

export interface DataSelection {
  /** Only these tasks. */
  taskIds?: string[];
  /** SFT: demonstrations, the policy's successful rollouts, or both (default demos). */
  sftSource?: SftSource;
  /** Preference: only pairs of this GRAPE iteration. */
  iteration?: number;
  /** Only episodes recorded in these index sessions (preference: pairs with both episodes in them). */
  sessionIds?: string[];
}

export interface TrainingInputs {
  store: CheckpointStore;
  /** The checkpoint trained from: 'base' or an adapter id. */
  parentId: string;
  parent?: LoadedAdapter;
  shape: StepShape;
  set: TrainingSet;
  split: HeldOutSplit;
}

export interface InputRequest {
  modelDir: string;
  /** The parent checkpoint (adapter id, checkpoint id or 'base'; default: the promoted one). */
  from?: string;
  objective: Objective;
  selection: DataSelection;
  heldOutShare: number;
  seed: number;
  onRead?: (done: number, total: number) => void;
}

export function selectTrainingSet(
  index: EpisodeIndex,
  objective: Objective,
  selection: DataSelection,
  shape: StepShape,
  onRead?: (done: number, total: number) => void,
): Promise<TrainingSet> {
  const tasks = selection.taskIds?.length ? { taskIds: selection.taskIds } : {};
  const sessions = selection.sessionIds?.length ? { sessionIds: selection.sessionIds } : {};
  return objective === 'sft'
    ? sftDataset(index, { source: selection.sftSource ?? 'demos', ...tasks, ...sessions }, shape, onRead)
    : preferenceDataset(
        index,
        {
          ...tasks,
          ...sessions,
          ...(selection.iteration === undefined ? {} : { iteration: selection.iteration }),
        },
        shape,
        onRead,
      );
}

/** The package, parent and shape only (the data comes separately when resuming). */
export async function openModel(index: EpisodeIndex, modelDir: string, from?: string) {
  const store = new CheckpointStore(index, await loadModelPackage(modelDir));
  const parentId = store.adapterIdOf(from ?? store.promoted().adapterId ?? BASE_CHECKPOINT);
  const parent = parentId === BASE_CHECKPOINT ? undefined : await store.readAdapter(parentId);
  const spec = store.pkg.headSpec;
  const shape: StepShape = { features: stepFeatures(spec), actionDims: spec.actionDims, bins: spec.bins };
  return { store, parentId, ...(parent ? { parent } : {}), shape };
}

export async function prepareTraining(index: EpisodeIndex, request: InputRequest): Promise<TrainingInputs> {
  const model = await openModel(index, request.modelDir, request.from);
  const set = await selectTrainingSet(
    index,
    request.objective,
    request.selection,
    model.shape,
    request.onRead,
  );
  return { ...model, set, split: splitHeldOut(set.items, request.heldOutShare, request.seed) };
}
