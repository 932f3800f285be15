// grape run --sim: the policy node core on the embedded simulator, recording every episode exactly
// as on a robot. (On a robot: ros2 launch grape policy.launch.py.)
import type { CommandModule } from 'yargs';

import { summarizeByTask } from '../../app/sim-episodes.js';
import type { GlobalArgs } from '../global-args.js';
import { printJson } from '../output.js';
import {
  printEpisodes,
  printTaskSummary,
  runSimBatchWithProgress,
  samplingOf,
  samplingOptions,
  simEpisodeOptions,
  type SamplingArgs,
  type SimEpisodeArgs,
} from './sim-episode-options.js';

interface RunArgs extends GlobalArgs, SimEpisodeArgs, SamplingArgs {
  sim: boolean;
  'dry-run': boolean;
}

export const runCommand: CommandModule<GlobalArgs, RunArgs> = {
  command: 'run',
  describe: 'Run the policy node on the embedded simulator, recording every episode',
  builder: (y) =>
    samplingOptions(simEpisodeOptions(y, 0))
      .option('sim', {
        type: 'boolean',
        default: false,
        describe: 'drive the embedded simulator (required here)',
      })
      .option('dry-run', { type: 'boolean', default: false, describe: 'compute and record, move nothing' })
      .check((a) => {
        if (!a.sim)
          throw new Error(
            'grape run drives the embedded simulator: pass --sim (on a robot: ros2 launch grape policy.launch.py)',
          );
        return true;
      }),
  handler: async (args) => {
    const report = await runSimBatchWithProgress(args, 'run', {
      actor: 'policy',
      dryRun: args['dry-run'],
      sampling: samplingOf(args),
    });
    const summary = summarizeByTask(report.results);
    if (args.json) {
      printJson({ policyId: report.policyId, modelDir: report.modelDir, episodes: report.results, summary });
      return;
    }
    if (report.createdModel) process.stdout.write(`built the default model in ${report.modelDir}\n`);
    process.stdout.write(`policy ${report.policyId}\n`);
    printEpisodes(report.results);
    process.stdout.write('\n');
    printTaskSummary(summary);
  },
};
