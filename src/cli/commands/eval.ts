// grape eval: a policy checkpoint on one generalization split of the simulator, over the fixed
// evaluation seeds of each task, greedy unless --sample. Prints success per task with 95% Wilson
// intervals, collision rate, mean collisions, steps and path length, and an overall row; stores the
// evaluation under <data-dir>/evaluations/ for the report and for paired comparisons. --against
// compares it, paired on the same initial states, with a stored evaluation (exact McNemar).
import type { CommandModule } from 'yargs';

import { evaluateOnSim, PROMOTED, type SimEvaluation } from '../../app/sim-evaluation.js';
import type { EvaluationRun } from '../../eval/evaluation-run.js';
import { loadEvaluation } from '../../eval/evaluation-store.js';
import { INTERVAL_METHOD, type EvaluationSummary, type RateFigures } from '../../eval/evaluation-summary.js';
import { comparePaired, type PairedComparison } from '../../eval/paired-comparison.js';
import type { SuccessInterval } from '../../eval/success-interval.js';
import type { SplitName } from '../../sim/splits.js';
import { EVALUATION_SEEDS } from '../../sim/task-registry.js';
import type { GlobalArgs } from '../global-args.js';
import { printJson, printTable } from '../output.js';
import { progressBar } from '../progress.js';
import { reportingErrors } from './costs-options.js';
import {
  samplingOf,
  samplingOptions,
  simEpisodeOptions,
  taskIdsOf,
  type SamplingArgs,
  type SimEpisodeArgs,
} from './sim-episode-options.js';

interface EvalArgs extends GlobalArgs, SimEpisodeArgs, SamplingArgs {
  label: string | undefined;
  against: string | undefined;
}

const percent = (v: number) => `${(100 * v).toFixed(0)}%`;
const interval = (i: SuccessInterval) => `${percent(i.low)}–${percent(i.high)}`;

function figures(f: RateFigures): string[] {
  return [
    percent(f.successRate),
    interval(f.successInterval),
    percent(f.collisionRate),
    f.meanCollisions.toFixed(2),
    f.meanSteps.toFixed(1),
    f.meanPathLength.toFixed(2),
  ];
}

function printSummary(run: EvaluationRun, summary: EvaluationSummary, path: string): void {
  const { decoding } = run;
  const seeds = run.episodes.map((e) => e.seed);
  process.stdout.write(
    `${run.label ? `${run.label}: ` : ''}${run.policy.checkpointId}${run.policy.chosenAs === 'promoted' ? ' (promoted)' : ''}` +
      ` on the ${run.split} split, ${decoding.greedy ? 'greedy' : `sampled (temperature ${decoding.temperature}, top-k ${decoding.topK}, seed ${decoding.seed})`},` +
      ` seeds ${Math.min(...seeds)}–${Math.max(...seeds)}\n`,
  );
  printTable(
    [
      'task',
      'episodes',
      'success',
      'rate',
      '95% CI',
      'collision rate',
      'mean collisions',
      'mean steps',
      'path m',
    ],
    [
      ...summary.tasks.map((t) => [t.taskId, String(t.episodes), String(t.successes), ...figures(t)]),
      [
        'mean over tasks',
        String(summary.overall.episodes),
        String(summary.tasks.reduce((n, t) => n + t.successes, 0)),
        ...figures(summary.overall),
      ],
    ],
  );
  process.stdout.write(
    `\n95% CI per task: ${INTERVAL_METHOD.task}; overall: ${INTERVAL_METHOD.overall}.\n` +
      `collision rate: episodes with at least one collision.\nstored as ${run.id} in ${path}\n`,
  );
}

const points = (v: number) => `${v >= 0 ? '+' : '−'}${Math.abs(100 * v).toFixed(1)}`;

function printComparison(againstId: string, c: PairedComparison): void {
  process.stdout.write(`\nagainst ${againstId}, paired on the same initial states:\n`);
  printTable(
    ['task', 'pairs', 'theirs', 'this', 'difference', 'only theirs', 'only this', 'p (exact McNemar)'],
    [...c.tasks.map((t) => ({ ...t, name: t.taskId })), { ...c.overall, name: 'mean over tasks' }].map(
      (t) => [
        t.name,
        String(t.pairs),
        percent(t.rateA),
        percent(t.rateB),
        points(t.difference),
        String(t.onlyA),
        String(t.onlyB),
        t.pValue.toFixed(3),
      ],
    ),
  );
}

export const evalCommand: CommandModule<GlobalArgs, EvalArgs> = {
  command: 'eval',
  describe: 'Evaluate a policy on a simulator split: success per task with 95% intervals, collisions, steps',
  builder: (y) =>
    samplingOptions(simEpisodeOptions(y, EVALUATION_SEEDS[0]!, EVALUATION_SEEDS.length))
      .option('adapter', {
        type: 'string',
        default: PROMOTED,
        describe:
          "checkpoint: 'promoted' (what the node loads), 'base' (the package's head), or an adapter id",
      })
      .option('label', { type: 'string', describe: 'name for tables and the report (e.g. "GRAPE round 2")' })
      .option('against', {
        type: 'string',
        describe: 'a stored evaluation id to compare with, paired on the same initial states (exact McNemar)',
      })
      .strict(),
  handler: (args) =>
    reportingErrors('eval', async () => {
      const taskIds = taskIdsOf(args);
      // Loaded first: a wrong id fails before any episode runs.
      const against = args.against === undefined ? undefined : loadEvaluation(args['data-dir'], args.against);
      const bar = progressBar('eval [{bar}] {value}/{total} episodes | {task} seed {seed}: {outcome}');
      bar.start(taskIds.length * args.episodes, 0, { task: '', seed: '', outcome: '' });
      let result: SimEvaluation;
      let done = 0;
      try {
        result = await evaluateOnSim({
          dataDir: args['data-dir'],
          ...(args.policy === undefined ? {} : { modelDir: args.policy }),
          checkpoint: args.adapter ?? PROMOTED,
          split: args.split as SplitName,
          taskIds,
          episodes: args.episodes,
          seedStart: args['seed-start'],
          decoding: samplingOf(args),
          device: args.device,
          jobs: args.jobs,
          ...(args.label === undefined ? {} : { label: args.label }),
          onEpisode: (r) => {
            bar.update(++done, { task: r.taskId, seed: r.seed, outcome: r.success ? 'success' : 'failure' });
          },
        });
      } finally {
        bar.stop();
      }
      const { run, summary, path, createdModel } = result;
      const comparison = against && comparePaired(against, run);
      if (args.json) {
        const { episodes, ...evaluation } = run;
        printJson({
          evaluation: { ...evaluation, path },
          intervals: INTERVAL_METHOD,
          tasks: summary.tasks,
          overall: summary.overall,
          episodes,
          ...(comparison ? { against: { id: against.id, ...comparison } } : {}),
        });
        return;
      }
      if (createdModel) process.stdout.write(`built the default model in ${run.policy.modelDir}\n`);
      printSummary(run, summary, path);
      if (comparison) printComparison(against.id, comparison);
    }),
};
