// SFT data from the episode index: successful demonstrations (the scripted expert, a teleoperator),
// successful rollouts of the policy itself (success-filtered SFT, the baseline preference methods
// must beat), or both; optionally only some tasks. Each trajectory is one item.
import type { Episode, EpisodeIndex } from '../episode/episode-index.js';
import { DatasetError } from './dataset-error.js';
import { readEpisodeTrajectories, type StepShape } from './episode-trajectory.js';
import { initialStateGroup, type TrainingSet } from './training-set.js';

export type SftSource = 'demos' | 'rollouts' | 'all';
export const SFT_SOURCES: readonly SftSource[] = ['demos', 'rollouts', 'all'];

export interface SftSelection {
  source: SftSource;
  /** Only these tasks (default: every task). */
  taskIds?: readonly string[];
  /** Only episodes recorded in these index sessions (default: any). */
  sessionIds?: readonly string[];
}

/**
 * Demonstrators record under `<kind>:<name>` (e.g. `expert:scripted`); policies under
 * `name@version/checkpoint`.
 */
export function isDemonstration(e: Pick<Episode, 'policyCheckpointId'>): boolean {
  return /^[A-Za-z][\w-]*:/.test(e.policyCheckpointId) && !e.policyCheckpointId.includes('@');
}

function fromSource(e: Episode, source: SftSource): boolean {
  return source === 'all' || (source === 'demos') === isDemonstration(e);
}

/**
 * The items' order feeds the seeded epoch shuffle, so it must not be the order in which parallel
 * simulator shards happened to record: by task and seed. Within one initial state (several
 * rollouts), the index's start-time order stays.
 */
function byInitialState(a: Episode, b: Episode): number {
  if (a.taskId !== b.taskId) return a.taskId < b.taskId ? -1 : 1;
  return (a.seed ?? -1) - (b.seed ?? -1);
}

/** Why an episode of the source is not SFT data (undefined: it is). */
function reasonLeftOut(e: Episode): string | undefined {
  if (e.status !== 'complete') return `recording ${e.status}`;
  if (e.outcome !== 'success') return `outcome ${e.outcome ?? 'not recorded'}`;
  return undefined;
}

export async function sftDataset(
  index: Pick<EpisodeIndex, 'episodes' | 'bagDir'>,
  selection: SftSelection,
  shape: StepShape,
  onRead?: (done: number, total: number) => void,
): Promise<TrainingSet> {
  const tasks = selection.taskIds ? new Set(selection.taskIds) : undefined;
  const sessions = selection.sessionIds ? new Set(selection.sessionIds) : undefined;
  const excluded: TrainingSet['excluded'] = [];
  const chosen: Episode[] = [];
  for (const e of index.episodes()) {
    if ((tasks && !tasks.has(e.taskId)) || !fromSource(e, selection.source)) continue;
    if (sessions && (e.sessionId === undefined || !sessions.has(e.sessionId))) continue;
    const reason = reasonLeftOut(e);
    if (reason === undefined) chosen.push(e);
    else excluded.push({ id: e.id, reason });
  }
  chosen.sort(byInitialState);
  const read = await readEpisodeTrajectories(index, chosen, shape, onRead);
  const trajectories = read.filter((t) => {
    const policySteps = t.policyMask.reduce((a, m) => a + m, 0);
    if (policySteps === 0) excluded.push({ id: t.episodeId, reason: 'no policy steps (all flagged)' });
    return policySteps > 0;
  });
  if (trajectories.length === 0)
    throw new DatasetError(
      `no ${selection.source === 'rollouts' ? 'successful rollouts' : selection.source === 'demos' ? 'successful demonstrations' : 'successful episodes'}${tasks ? ` of ${[...tasks].join(', ')}` : ''}${sessions ? ` in session ${[...sessions].join(', ')}` : ''} in the index (record some: grape sim demos)`,
    );
  return {
    kind: 'trajectories',
    trajectories,
    items: trajectories.map((t, i) => ({ id: t.episodeId, group: initialStateGroup(t), trajectories: [i] })),
    excluded,
  };
}
