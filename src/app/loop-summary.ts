// A GRAPE loop's outcome as rows: per round what it recorded, scored, paired and trained; and the
// evaluated policies (SFT, round 1's baselines, GRAPE round 1…K) × splits with their success
// rates, 95% intervals and, against SFT on the same initial states, the paired difference and the
// exact McNemar p-value.
import { loadEvaluation } from '../eval/evaluation-store.js';
import { comparePaired } from '../eval/paired-comparison.js';
import type { SplitName } from '../sim/splits.js';
import { BASELINE_LABELS, BASELINES, type BaselineName } from './loop-parameters.js';
import type { LoopEvaluation, LoopState, TrainingStage } from './loop-state.js';

export interface RoundRow {
  round: number;
  /** The policy the round starts from, and the one it ends with. */
  parent: string;
  result?: string;
  episodes: number;
  successes: number;
  sessionId?: string;
  scored?: number;
  pairs?: number;
  training?: TrainingStage;
  baselines?: Partial<Record<BaselineName, TrainingStage>>;
  promoted: boolean;
  done: boolean;
}

export interface PolicyRow {
  label: string;
  round: number;
  checkpointId?: string;
  /** How it was trained, in words ("not trained: …" when a round had nothing to train on). */
  training: string;
  cells: Partial<Record<SplitName, PolicyCell>>;
}

export interface PolicyCell {
  evaluation: LoopEvaluation;
  /** Against SFT on the same seeds (absent for SFT itself, or when it cannot be compared). */
  vsSft?: { difference: number; pValue: number; pairs: number };
}

export interface LoopSummary {
  rounds: RoundRow[];
  splits: SplitName[];
  policies: PolicyRow[];
}

function trainingText(t: TrainingStage | undefined, sftItems = 'demonstrations'): string {
  if (!t) return '';
  if (t.status === 'skipped') return `not trained: ${t.reason ?? ''}`;
  if (t.status === 'running') return `training (run ${t.runId})`;
  return `${t.objective} on ${t.items ?? '?'} ${t.objective === 'sft' ? sftItems : 'pairs'}`;
}

export function summarizeLoop(dataDir: string, state: LoopState): LoopSummary {
  const rounds = state.rounds.map((r): RoundRow => ({
    round: r.round,
    parent: r.parent.checkpointId,
    ...(r.result ? { result: r.result.checkpointId } : {}),
    episodes: r.episodes?.episodes.length ?? 0,
    successes: r.episodes?.episodes.filter((e) => e.success).length ?? 0,
    ...(r.episodes ? { sessionId: r.episodes.sessionId } : {}),
    ...(r.scoring ? { scored: r.scoring.tasks.reduce((n, t) => n + t.scored, 0) } : {}),
    ...(r.pairs ? { pairs: r.pairs.pairs } : {}),
    ...(r.training ? { training: r.training } : {}),
    ...(r.baselines
      ? {
          baselines: Object.fromEntries(
            Object.entries(r.baselines).flatMap(([name, b]) => (b.training ? [[name, b.training]] : [])),
          ),
        }
      : {}),
    promoted: r.promotion !== undefined,
    done: r.done,
  }));
  const policies: PolicyRow[] = [];
  const row = (
    label: string,
    round: number,
    t: TrainingStage | undefined,
    evaluations: LoopEvaluation[],
    sftItems?: string,
  ) => {
    const cells: PolicyRow['cells'] = {};
    for (const e of evaluations) cells[e.split] = { evaluation: e };
    const checkpointId = evaluations[0]?.checkpointId ?? (t?.status === 'done' ? t.checkpointId : undefined);
    policies.push({
      label,
      round,
      ...(checkpointId ? { checkpointId } : {}),
      training: trainingText(t, sftItems),
      cells,
    });
  };
  for (const r of state.rounds) {
    if (r.round === 0) row('SFT', 0, r.training, r.evaluations);
    else {
      for (const name of BASELINES) {
        const b = r.baselines?.[name];
        if (b) row(BASELINE_LABELS[name], r.round, b.training, b.evaluations, 'successful rollouts');
      }
      row(`GRAPE round ${r.round}`, r.round, r.training, r.evaluations);
    }
  }
  const splits = state.parameters.evaluation.splits.filter((s) => policies.some((p) => p.cells[s]));
  const sft = policies.find((p) => p.round === 0);
  for (const split of splits) {
    const base = sft?.cells[split];
    if (!base) continue;
    const baseRun = loadEvaluation(dataDir, base.evaluation.id);
    for (const p of policies) {
      const cell = p.cells[split];
      if (!cell || p === sft) continue;
      try {
        const c = comparePaired(baseRun, loadEvaluation(dataDir, cell.evaluation.id)).overall;
        cell.vsSft = { difference: c.difference, pValue: c.pValue, pairs: c.pairs };
      } catch {
        // Different seeds (a loop whose evaluation size changed): shown without the paired test.
      }
    }
  }
  return { rounds, splits, policies };
}
