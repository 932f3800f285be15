// Two policies evaluated on the same initial states (task, split, seed): the success difference per
// task and over tasks, with the exact McNemar test on the discordant pairs. Pairing removes the
// variation between initial states, so it detects a difference that two independent rates would not.
import { exactMcNemarP } from './exact-mcnemar.js';
import type { EvaluationEpisode, EvaluationRun } from './evaluation-run.js';

export interface PairedCounts {
  /** Initial states both policies ran. */
  pairs: number;
  rateA: number;
  rateB: number;
  /** rateB − rateA */
  difference: number;
  /** Pairs where only A succeeded / only B succeeded (the discordant ones). */
  onlyA: number;
  onlyB: number;
  /** Two-sided exact McNemar p-value. */
  pValue: number;
}

export interface PairedTaskComparison extends PairedCounts {
  taskId: string;
}

export interface PairedComparison {
  split: string;
  tasks: PairedTaskComparison[];
  /**
   * Rates and difference: means over tasks (as the evaluation's overall row); the test pools the
   * discordant pairs of every task (with equal seeds per task its difference is the same).
   */
  overall: PairedCounts;
}

type Evaluated = Pick<EvaluationRun, 'id' | 'split' | 'episodes'>;

const keyOf = (e: Pick<EvaluationEpisode, 'taskId' | 'seed'>) => `${e.taskId} seed ${e.seed}`;

function byInitialState(run: Evaluated): Map<string, EvaluationEpisode> {
  const map = new Map<string, EvaluationEpisode>();
  for (const e of run.episodes) {
    const key = keyOf(e);
    if (map.has(key))
      throw new Error(`evaluation ${run.id} ran ${key} twice: a paired comparison needs one each`);
    map.set(key, e);
  }
  return map;
}

function missing(from: Map<string, unknown>, other: Map<string, unknown>): string[] {
  return [...other.keys()].filter((k) => !from.has(k));
}

function counts(pairs: readonly [EvaluationEpisode, EvaluationEpisode][]): PairedCounts {
  const n = pairs.length;
  const onlyA = pairs.filter(([a, b]) => a.success && !b.success).length;
  const onlyB = pairs.filter(([a, b]) => !a.success && b.success).length;
  const rateA = pairs.filter(([a]) => a.success).length / n;
  const rateB = pairs.filter(([, b]) => b.success).length / n;
  return {
    pairs: n,
    rateA,
    rateB,
    difference: rateB - rateA,
    onlyA,
    onlyB,
    pValue: exactMcNemarP(onlyA, onlyB),
  };
}

/** B against A; both must have run exactly the same (task, seed) set on the same split. */
export function comparePaired(a: Evaluated, b: Evaluated): PairedComparison {
  if (a.split !== b.split)
    throw new Error(`evaluations ${a.id} (${a.split}) and ${b.id} (${b.split}) ran different splits`);
  const mapA = byInitialState(a);
  const mapB = byInitialState(b);
  const onlyInA = missing(mapB, mapA);
  const onlyInB = missing(mapA, mapB);
  if (onlyInA.length > 0 || onlyInB.length > 0) {
    const list = (keys: string[]) =>
      keys.length === 0
        ? 'none'
        : `${keys.slice(0, 5).join(', ')}${keys.length > 5 ? ` and ${keys.length - 5} more` : ''}`;
    throw new Error(
      `evaluations ${a.id} and ${b.id} ran different initial states (only in ${a.id}: ${list(onlyInA)}; only in ${b.id}: ${list(onlyInB)})`,
    );
  }
  const byTask = new Map<string, [EvaluationEpisode, EvaluationEpisode][]>();
  for (const [key, ea] of mapA)
    byTask.set(ea.taskId, [...(byTask.get(ea.taskId) ?? []), [ea, mapB.get(key)!]]);
  const tasks = [...byTask].map(([taskId, pairs]) => ({ taskId, ...counts(pairs) }));
  const pooled = counts([...byTask.values()].flat());
  const meanOver = (f: (t: PairedTaskComparison) => number) =>
    tasks.reduce((s, t) => s + f(t), 0) / tasks.length;
  const rateA = meanOver((t) => t.rateA);
  const rateB = meanOver((t) => t.rateB);
  return { split: a.split, tasks, overall: { ...pooled, rateA, rateB, difference: rateB - rateA } };
}
