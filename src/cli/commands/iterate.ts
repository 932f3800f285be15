// grape iterate --rounds K: the GRAPE loop on the embedded simulator. Round 0 records expert
// demonstrations and trains SFT; each round k samples rollouts of the current policy on the training
// tasks, scores exactly those with GCPG, pairs them (iteration k), trains TPO from the current
// checkpoint and promotes the result. Every stage is recorded in <data-dir>/loops/<id>/loop.json;
// --resume <id> skips what is done and goes on with a cut-short training run from its snapshot.
import { existsSync } from 'node:fs';

import type { CommandModule } from 'yargs';

import { resumeLoop, startLoop } from '../../app/grape-loop.js';
import { loopStatePath, newLoopId } from '../../app/loop-state.js';
import { summarizeLoop } from '../../app/loop-summary.js';
import { ensureDefaultModel } from '../../app/model-location.js';
import type { GlobalArgs } from '../global-args.js';
import { printJson } from '../output.js';
import { loopOptions, loopParametersOf, type LoopArgs, type LoopDefaults } from './loop-options.js';
import { loopProgress } from './loop-progress.js';
import { printPolicies, printRounds } from './loop-tables.js';

interface IterateArgs extends GlobalArgs, LoopArgs {}

const ITERATE_DEFAULTS: LoopDefaults = {
  rounds: 3,
  tasks: undefined,
  demosPerTask: 20,
  seedsPerTask: 8,
  rolloutsPerSeed: 4,
  minMargin: 0.05,
  baselines: [],
  evalSeeds: 0,
  evalSplit: undefined,
};

export const iterateCommand: CommandModule<GlobalArgs, IterateArgs> = {
  command: 'iterate',
  describe:
    'Run the GRAPE loop on the simulator: demos → SFT, then K rounds of rollouts → GCPG → pairs → TPO',
  builder: (y) => loopOptions(y, ITERATE_DEFAULTS).strict(),
  handler: async (args) => {
    const dataDir = args['data-dir'];
    const id = args.resume ?? newLoopId();
    const progress = loopProgress();
    let state;
    try {
      if (args.resume !== undefined) {
        state = await resumeLoop(dataDir, id, {
          events: progress,
          jobs: args.jobs,
          baselines: args.baseline,
          ...(args.rounds === undefined ? {} : { rounds: args.rounds }),
        });
      } else {
        const { dir, created } = args.policy
          ? { dir: args.policy, created: false }
          : await ensureDefaultModel(dataDir);
        if (created) process.stderr.write(`built the default model in ${dir}\n`);
        process.stderr.write(`GRAPE loop ${id}: state in ${loopStatePath(dataDir, id)}\n`);
        state = await startLoop(
          dataDir,
          loopParametersOf(args, dir, ITERATE_DEFAULTS),
          { events: progress, jobs: args.jobs },
          id,
        );
      }
    } catch (error) {
      progress.stop();
      process.stderr.write(`grape iterate: ${(error as Error).message}\n`);
      if (existsLoop(dataDir, id))
        process.stderr.write(`what was done is kept: grape iterate --resume ${id}\n`);
      process.exitCode = 1;
      return;
    }
    progress.stop();
    const summary = summarizeLoop(dataDir, state);
    if (args.json) {
      printJson({ loop: state.id, statePath: loopStatePath(dataDir, state.id), summary, state });
      return;
    }
    const p = state.parameters;
    process.stdout.write(
      `GRAPE loop ${state.id}: ${p.rounds} round${p.rounds === 1 ? '' : 's'} on ${p.taskIds.join(', ')} (${state.model})\n`,
    );
    printRounds(summary);
    process.stdout.write('\n');
    if (printPolicies(summary, state)) process.stdout.write('\n');
    process.stdout.write(
      `state: ${loopStatePath(dataDir, state.id)}\nthe promoted checkpoint is ${summary.rounds.at(-1)?.result ?? '?'} (grape policy list)\n`,
    );
  },
};

function existsLoop(dataDir: string, id: string): boolean {
  try {
    return existsSync(loopStatePath(dataDir, id));
  } catch {
    return false;
  }
}
