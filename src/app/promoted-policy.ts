// Wiring: the checkpoint a model's policy node runs is the one promoted in the episode index
// (`grape policy promote|rollback`); the base head when none was. `grape run`, the ROS node's
// startup and its ~/reload_policy resolve it here.
import { EpisodeIndex } from '../episode/episode-index.js';
import { loadModelPackage } from '../policy/model-package.js';
import { CheckpointStore, type PromotedCheckpoint } from '../tpo/checkpoint-store.js';
import { loadPolicy, type LoadedPolicy, type LoadPolicyOptions } from './load-policy.js';

/**
 * The promoted checkpoint of the package in `modelDir`, its adapter read and checked (a missing,
 * corrupt or mismatched file is an error that says which and what to do).
 */
export async function resolvePromotedCheckpoint(
  dataDir: string,
  modelDir: string,
): Promise<PromotedCheckpoint> {
  const index = EpisodeIndex.open(dataDir);
  try {
    const store = new CheckpointStore(index, await loadModelPackage(modelDir));
    const promoted = store.promoted();
    if (promoted.adapterId !== undefined) {
      try {
        await store.readAdapter(promoted.adapterId);
      } catch (error) {
        throw new Error(
          `the promoted checkpoint ${promoted.checkpointId} cannot be loaded: ${(error as Error).message} (grape policy rollback, or promote another)`,
          { cause: error },
        );
      }
    }
    return promoted;
  } finally {
    index.close();
  }
}

/** loadPolicy with the promoted checkpoint's adapter. */
export async function loadPromotedPolicy(
  dataDir: string,
  modelDir: string,
  options: Omit<LoadPolicyOptions, 'adapter'> = {},
): Promise<LoadedPolicy & { checkpoint: PromotedCheckpoint }> {
  const checkpoint = await resolvePromotedCheckpoint(dataDir, modelDir);
  const loaded = await loadPolicy(modelDir, {
    ...options,
    ...(checkpoint.adapterId === undefined ? {} : { adapter: checkpoint.adapterId }),
  });
  return { ...loaded, checkpoint };
}
