// grape run --sim: the policy node core on the embedded simulator, recording every episode exactly
// as on a robot. (On a robot: ros2 launch grape policy.launch.py.)
import type { CommandModule } from 'yargs';

import { episodeRequests, runSimEpisodes, summarizeByTask } from '../../app/sim-episodes.js';
import type { SplitName } from '../../sim/splits.js';
import type { GlobalArgs } from '../global-args.js';
import { printJson } from '../output.js';
import { progressBar } from '../progress.js';
import {
  printEpisodes,
  printTaskSummary,
  samplingOf,
  samplingOptions,
  simEpisodeOptions,
  taskIdsOf,
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
    const requests = episodeRequests(
      taskIdsOf(args),
      args.episodes,
      args['seed-start'],
      args.split as SplitName,
    );
    const bar = progressBar('run [{bar}] {value}/{total} episodes | {task} seed {seed}: {outcome}');
    bar.start(requests.length, 0, { task: '', seed: '', outcome: '' });
    let report;
    try {
      report = await runSimEpisodes({
        dataDir: args['data-dir'],
        actor: 'policy',
        requests,
        device: args.device,
        dryRun: args['dry-run'],
        sampling: samplingOf(args),
        ...(args.policy === undefined ? {} : { modelDir: args.policy }),
        ...(args.adapter === undefined ? {} : { adapter: args.adapter }),
        onEpisode: (r, i) => {
          bar.update(i + 1, { task: r.taskId, seed: r.seed, outcome: r.success ? 'success' : 'failure' });
        },
      });
    } finally {
      bar.stop();
    }
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
