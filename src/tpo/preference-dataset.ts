// Preference data from the episode index: the stored (chosen, rejected) pairs — GCPG's, from
// `grape pairs` — of some tasks and GRAPE iteration. Each pair is one item over two whole
// trajectories; an episode in several pairs is read and uploaded once.
import type { Episode, EpisodeIndex, Pair } from '../episode/episode-index.js';
import { DatasetError } from './dataset-error.js';
import { readEpisodeTrajectories, type StepShape } from './episode-trajectory.js';
import { initialStateGroup, type TrainingSet } from './training-set.js';

export interface PreferenceSelection {
  /** Only these tasks (default: every task with pairs). */
  taskIds?: readonly string[];
  /** Only pairs stored for this GRAPE iteration. */
  iteration?: number;
  /** Only pairs whose chosen and rejected episodes were both recorded in these index sessions. */
  sessionIds?: readonly string[];
}

/** Why an episode cannot stand in a pair (undefined: it can). */
function unusable(e: Episode | undefined): string | undefined {
  if (!e) return 'not in the index';
  if (e.status === 'recording' || e.status === 'damaged') return `recording ${e.status}`;
  if (e.outcome === 'aborted') return 'aborted';
  return undefined;
}

export async function preferenceDataset(
  index: Pick<EpisodeIndex, 'pairs' | 'episode' | 'bagDir'>,
  selection: PreferenceSelection,
  shape: StepShape,
  onRead?: (done: number, total: number) => void,
): Promise<TrainingSet> {
  const tasks = selection.taskIds ? new Set(selection.taskIds) : undefined;
  const sessions = selection.sessionIds ? new Set(selection.sessionIds) : undefined;
  const inSessions = (e: Episode | undefined) =>
    !sessions || (e?.sessionId !== undefined && sessions.has(e.sessionId));
  const stored = index
    .pairs(selection.iteration === undefined ? {} : { iteration: selection.iteration })
    .filter((p) => !tasks || tasks.has(p.taskId));
  const excluded: TrainingSet['excluded'] = [];
  const episodes = new Map<string, Episode>();
  const usable: Pair[] = [];
  for (const p of stored) {
    const sides = [p.chosenEpisodeId, p.rejectedEpisodeId].map((id) => ({ id, e: index.episode(id) }));
    if (!sides.every((s) => inSessions(s.e))) continue;
    const bad = sides.find((s) => unusable(s.e) !== undefined);
    if (bad) {
      excluded.push({ id: `pair ${p.id}`, reason: `episode ${bad.id}: ${unusable(bad.e)}` });
      continue;
    }
    for (const s of sides) episodes.set(s.id, s.e!);
    usable.push(p);
  }
  const read = await readEpisodeTrajectories(index, [...episodes.values()], shape, onRead);
  const position = new Map(read.map((t, i) => [t.episodeId, i]));
  const items: TrainingSet['items'] = [];
  for (const p of usable) {
    const chosen = position.get(p.chosenEpisodeId)!;
    const rejected = position.get(p.rejectedEpisodeId)!;
    const empty = [chosen, rejected].find((i) => !read[i]!.policyMask.includes(1));
    if (empty !== undefined) {
      excluded.push({ id: `pair ${p.id}`, reason: `episode ${read[empty]!.episodeId} has no policy steps` });
      continue;
    }
    items.push({
      id: String(p.id),
      group: initialStateGroup(read[chosen]!),
      trajectories: [chosen, rejected],
    });
  }
  if (items.length === 0)
    throw new DatasetError(
      `no usable preference pairs${tasks ? ` of ${[...tasks].join(', ')}` : ''}${selection.iteration === undefined ? '' : ` for iteration ${selection.iteration}`}${sessions ? ` in session ${[...sessions].join(', ')}` : ''} in the index (score and pair episodes first: grape score, grape pairs)`,
    );
  return { kind: 'pairs', trajectories: read, items, excluded };
}
