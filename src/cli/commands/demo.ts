// grape demo: the README's main job, the whole GRAPE loop on the embedded simulator at a size that
// finishes in minutes on two CPU cores — expert demonstrations → SFT → GRAPE rounds (sampled
// rollouts → GCPG → pairs → TPO) and a step-DPO baseline on round 1's pairs — then SFT, step-DPO
// and every GRAPE round evaluated greedily in-domain and on one generalization split, printed as a
// table with 95% intervals, and the HTML report. Each demo is a data dir of its own under
// <data-dir>/demo/<loop id>, so it never mixes with other data; --resume goes on with one.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

import type { CommandModule } from 'yargs';

import { resumeLoop, startLoop } from '../../app/grape-loop.js';
import { loopStatePath, newLoopId, type LoopState } from '../../app/loop-state.js';
import { summarizeLoop, type LoopSummary } from '../../app/loop-summary.js';
import { ensureDefaultModel } from '../../app/model-location.js';
import { writeReport } from '../../app/report-file.js';
import { TASKS } from '../../sim/task-registry.js';
import type { GlobalArgs } from '../global-args.js';
import { printJson } from '../output.js';
import { loopOptions, loopParametersOf, type LoopArgs, type LoopDefaults } from './loop-options.js';
import { loopProgress } from './loop-progress.js';
import { printPolicies, printRounds } from './loop-tables.js';

interface DemoArgs extends GlobalArgs, LoopArgs {}

/** Sized to finish in ≤ 15 minutes on 2 CPU cores (docs/loop.md has the measured times). */
export const DEMO_DEFAULTS: LoopDefaults = {
  rounds: 2,
  tasks: ['lift', 'push-to-side'],
  demosPerTask: 10,
  seedsPerTask: 3,
  rolloutsPerSeed: 4,
  // The demo pairs rollouts however close their scores, so TPO always has pairs to train on even
  // when no rollout gets far (GCPG's own default, which grape iterate keeps, is 0.05).
  minMargin: 0,
  baselines: ['step-dpo'],
  evalSeeds: 5,
  evalSplit: 'visual',
};

export function demoDataDir(dataDir: string, loopId: string): string {
  return join(resolve(dataDir), 'demo', loopId);
}

/** Half the widest 95% interval in the table, in points. */
function widestHalfWidth(summary: LoopSummary): number {
  const widths = summary.policies.flatMap((p) =>
    Object.values(p.cells).map((c) => c.evaluation.successInterval.high - c.evaluation.successInterval.low),
  );
  return widths.length ? (100 * Math.max(...widths)) / 2 : 0;
}

function smokeTestNote(summary: LoopSummary, state: LoopState): string {
  const p = state.parameters;
  const perCell = p.evaluation.episodes * p.taskIds.length;
  return (
    `A demo this size is a smoke test, not evidence: ${perCell} evaluation episode${perCell === 1 ? '' : 's'} per policy and split give ` +
    `95% intervals up to ±${widestHalfWidth(summary).toFixed(0)} points wide, and its policies train on ` +
    `${p.demos.perTask} demonstrations and ${p.rollouts.seedsPerTask}×${p.rollouts.perSeed} rollouts per task and round. ` +
    'It shows that every stage of the loop runs; for figures, run grape iterate at full size ' +
    '(every task, --eval-seeds 50) and compare with grape eval.'
  );
}

export const demoCommand: CommandModule<GlobalArgs, DemoArgs> = {
  command: 'demo',
  describe:
    'Run the whole GRAPE loop on the simulator at a small size (demos → SFT → GRAPE rounds, step-DPO baseline, evaluation, report)',
  builder: (y) => loopOptions(y, DEMO_DEFAULTS).strict(),
  handler: async (args) => {
    const started = performance.now();
    const id = args.resume ?? newLoopId();
    const dataDir = demoDataDir(args['data-dir'], id);
    const progress = loopProgress();
    let state: LoopState;
    try {
      if (args.resume !== undefined) {
        if (!existsSync(dataDir))
          throw new Error(`no demo ${id} in ${join(resolve(args['data-dir']), 'demo')}`);
        state = await resumeLoop(dataDir, id, {
          events: progress,
          jobs: args.jobs,
          baselines: args.baseline,
          ...(args.rounds === undefined ? {} : { rounds: args.rounds }),
        });
      } else {
        const { dir } = args.policy ? { dir: args.policy } : await ensureDefaultModel(dataDir);
        const parameters = loopParametersOf(args, dir, DEMO_DEFAULTS);
        const p = parameters;
        process.stderr.write(
          `grape demo ${id}: ${p.rounds} GRAPE round${p.rounds === 1 ? '' : 's'} on ${p.taskIds.length} of ${TASKS.length} tasks (${p.taskIds.join(', ')}); data in ${dataDir}\n`,
        );
        state = await startLoop(dataDir, parameters, { events: progress, jobs: args.jobs }, id);
      }
    } catch (error) {
      progress.stop();
      process.stderr.write(`grape demo: ${(error as Error).message}\n`);
      if (existsSync(join(dataDir, 'loops', id)))
        process.stderr.write(`go on with: grape demo --resume ${id}\n`);
      process.exitCode = 1;
      return;
    }
    progress.stop();
    const report = writeReport(dataDir);
    const summary = summarizeLoop(dataDir, state);
    const seconds = (performance.now() - started) / 1000;
    const note = smokeTestNote(summary, state);
    const p = state.parameters;
    if (args.json) {
      printJson({
        loop: state.id,
        dataDir,
        statePath: loopStatePath(dataDir, state.id),
        reportPath: report.path,
        seconds,
        tasks: p.taskIds,
        smokeTest: note,
        summary,
      });
      return;
    }
    const subset = p.taskIds.length < TASKS.length;
    process.stdout.write(
      `\ngrape demo: the GRAPE loop on the embedded simulator (${state.model}), ${p.rounds} GRAPE round${p.rounds === 1 ? '' : 's'}\n` +
        `tasks: ${p.taskIds.join(', ')}${subset ? ` (${p.taskIds.length} of ${TASKS.length}, to keep the demo short; --task picks others)` : ''}\n\n`,
    );
    printRounds(summary);
    process.stdout.write('\n');
    if (!printPolicies(summary, state)) process.stdout.write('nothing was evaluated (--eval-seeds 0)\n');
    process.stdout.write(
      `\n${note}\n\nreport: ${report.path}\ndata dir: ${dataDir} (grape --data-dir ${dataDir} eval|report|policy list)\n` +
        `time: ${(seconds / 60).toFixed(1)} min\n`,
    );
  },
};
