// grape sim demos: records the scripted expert's demonstrations (the SFT data) through the policy
// node, one episode per seed, and prints the expert's success per task.
import type { CommandModule } from 'yargs';

import { summarizeByTask } from '../../app/sim-episodes.js';
import type { GlobalArgs } from '../global-args.js';
import { printJson } from '../output.js';
import { DEMONSTRATION_NOISE } from '../../sim/scripted-expert.js';
import {
  printTaskSummary,
  runSimBatchWithProgress,
  simEpisodeOptions,
  type SimEpisodeArgs,
} from './sim-episode-options.js';

interface DemosArgs extends GlobalArgs, SimEpisodeArgs {
  noise: number | undefined;
  'execution-noise': number | undefined;
}

export const simDemosCommand: CommandModule<GlobalArgs, DemosArgs> = {
  command: 'demos',
  describe: "Record the scripted expert's demonstrations (SFT data) and print its success per task",
  builder: (y) =>
    simEpisodeOptions(y, 1000)
      .option('noise', {
        type: 'number',
        describe: `per-step translation noise of the recorded actions, m (default ${DEMONSTRATION_NOISE.actionNoise})`,
      })
      .option('execution-noise', {
        type: 'number',
        describe: `DART: per-step disturbance of the executed actions only, m (default ${DEMONSTRATION_NOISE.executionNoise})`,
      }),
  handler: async (args) => {
    const report = await runSimBatchWithProgress(args, 'demos', {
      actor: 'expert',
      expert: {
        ...(args.noise === undefined ? {} : { actionNoise: args.noise }),
        ...(args['execution-noise'] === undefined ? {} : { executionNoise: args['execution-noise'] }),
      },
    });
    const summary = summarizeByTask(report.results);
    if (args.json) {
      printJson({
        demonstrator: 'expert:scripted',
        modelDir: report.modelDir,
        episodes: report.results,
        summary,
      });
      return;
    }
    if (report.createdModel) process.stdout.write(`built the default model in ${report.modelDir}\n`);
    process.stdout.write(`recorded ${report.results.length} expert episodes in ${args['data-dir']}\n`);
    printTaskSummary(summary);
  },
};
