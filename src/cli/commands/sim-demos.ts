// grape sim demos: records the scripted expert's demonstrations (the SFT data) through the policy
// node, one episode per seed, and prints the expert's success per task.
import type { CommandModule } from 'yargs';

import { episodeRequests, runSimEpisodes, summarizeByTask } from '../../app/sim-episodes.js';
import type { SplitName } from '../../sim/splits.js';
import type { GlobalArgs } from '../global-args.js';
import { printJson } from '../output.js';
import { progressBar } from '../progress.js';
import {
  printTaskSummary,
  simEpisodeOptions,
  taskIdsOf,
  type SimEpisodeArgs,
} from './sim-episode-options.js';

interface DemosArgs extends GlobalArgs, SimEpisodeArgs {
  noise: number | undefined;
}

export const simDemosCommand: CommandModule<GlobalArgs, DemosArgs> = {
  command: 'demos',
  describe: "Record the scripted expert's demonstrations (SFT data) and print its success per task",
  builder: (y) =>
    simEpisodeOptions(y, 1000).option('noise', {
      type: 'number',
      describe: "per-step translation noise of the expert's actions, m (default: the expert's own)",
    }),
  handler: async (args) => {
    const requests = episodeRequests(
      taskIdsOf(args),
      args.episodes,
      args['seed-start'],
      args.split as SplitName,
    );
    const bar = progressBar('demos [{bar}] {value}/{total} episodes | {task} seed {seed}: {outcome}');
    bar.start(requests.length, 0, { task: '', seed: '', outcome: '' });
    let report;
    try {
      report = await runSimEpisodes({
        dataDir: args['data-dir'],
        actor: 'expert',
        requests,
        device: args.device,
        ...(args.noise === undefined ? {} : { expert: { actionNoise: args.noise } }),
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
