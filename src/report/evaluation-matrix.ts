// Evaluations arranged for comparison: policies (in the order they were first evaluated: rounds of
// an iteration come out in order) × splits. A policy is its label or checkpoint id, and its sampled
// evaluations count as a policy of their own (greedy and sampled rates differ). When a policy was
// evaluated on a split more than once, the latest evaluation is the one shown.
import { policyLabel, type EvaluationRun } from '../eval/evaluation-run.js';
import { summarizeEvaluation, type EvaluationSummary } from '../eval/evaluation-summary.js';
import { SPLITS, type SplitName } from '../sim/splits.js';

export interface EvaluationCell {
  run: EvaluationRun;
  summary: EvaluationSummary;
}

export interface EvaluationMatrix {
  policies: string[];
  splits: SplitName[];
  cell(policy: string, split: SplitName): EvaluationCell | undefined;
  /** Evaluations left out because a later one of the same policy and split is shown. */
  superseded: number;
}

export function matrixPolicyOf(run: EvaluationRun): string {
  return run.decoding.greedy ? policyLabel(run) : `${policyLabel(run)} (sampled)`;
}

/** `runs` oldest first. */
export function evaluationMatrix(runs: readonly EvaluationRun[]): EvaluationMatrix {
  const policies: string[] = [];
  const cells = new Map<string, EvaluationRun>();
  let superseded = 0;
  for (const run of runs) {
    const policy = matrixPolicyOf(run);
    if (!policies.includes(policy)) policies.push(policy);
    const key = `${policy}\u0000${run.split}`;
    if (cells.has(key)) superseded++;
    cells.set(key, run);
  }
  const summaries = new Map(
    [...cells].map(([key, run]) => [key, { run, summary: summarizeEvaluation(run.episodes) }]),
  );
  return {
    policies,
    splits: SPLITS.filter((s) => runs.some((r) => r.split === s)),
    cell: (policy, split) => summaries.get(`${policy}\u0000${split}`),
    superseded,
  };
}
