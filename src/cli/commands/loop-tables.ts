// How grape iterate and grape demo print a loop: a row per round (what it recorded, scored, paired
// and trained), and the evaluated policies × splits with 95% intervals and the paired test against SFT.
import type { LoopSummary, PolicyRow } from '../../app/loop-summary.js';
import type { LoopState } from '../../app/loop-state.js';
import { printTable } from '../output.js';

const pct = (v: number) => `${(100 * v).toFixed(0)}%`;
const count = (n: number | undefined, what: string) =>
  n === undefined ? `? ${what}s` : `${n} ${what}${n === 1 ? '' : 's'}`;
const short = (checkpointId: string | undefined) => checkpointId?.split('/').at(-1) ?? '';

export function printRounds(s: LoopSummary): void {
  printTable(
    ['round', 'episodes', 'successes', 'scored', 'pairs', 'training', 'checkpoint', 'promoted'],
    s.rounds.map((r) => [
      String(r.round),
      String(r.episodes),
      String(r.successes),
      r.scored === undefined ? '–' : String(r.scored),
      r.pairs === undefined ? '–' : String(r.pairs),
      r.training?.status === 'done'
        ? `${r.training.objective}, ${count(r.training.items, r.training.objective === 'sft' ? 'demo' : 'pair')}, ${count(r.training.steps, 'step')}`
        : r.training?.status === 'skipped'
          ? 'none (no pairs)'
          : r.training
            ? 'in progress'
            : '–',
      short(r.result ?? r.parent),
      r.promoted ? 'yes' : r.done ? 'no' : '–',
    ]),
  );
}

function cellText(p: PolicyRow, split: string): [string, string] {
  const cell = p.cells[split as keyof PolicyRow['cells']];
  if (!cell) return ['–', ''];
  const e = cell.evaluation;
  const rate = `${pct(e.successRate)} (${pct(e.successInterval.low)}–${pct(e.successInterval.high)})`;
  if (!cell.vsSft) return [rate, p.round === 0 ? '' : '–'];
  const d = 100 * cell.vsSft.difference;
  return [rate, `${d >= 0 ? '+' : ''}${d.toFixed(0)} pts, p ${cell.vsSft.pValue.toFixed(2)}`];
}

/** The evaluated policies × splits; returns false when nothing was evaluated. */
export function printPolicies(s: LoopSummary, state: LoopState): boolean {
  if (s.splits.length === 0) return false;
  const headers = ['policy', ...s.splits.flatMap((split) => [split, `vs SFT`])];
  printTable(
    headers,
    s.policies.map((p) => [p.label, ...s.splits.flatMap((split) => cellText(p, split))]),
  );
  const { episodes } = state.parameters.evaluation;
  const tasks = state.parameters.taskIds.length;
  process.stdout.write(
    `success over ${tasks} task${tasks === 1 ? '' : 's'} × ${episodes} evaluation seed${episodes === 1 ? '' : 's'} (0–${episodes - 1}), greedy, ` +
      'with its 95% Wilson interval; vs SFT: paired difference on the same seeds, exact McNemar p.\n',
  );
  for (const p of s.policies)
    if (p.training.startsWith('not trained')) process.stdout.write(`${p.label}: ${p.training}\n`);
  return true;
}
