// grape sim tasks: the simulator's task templates, their instructions and the generalization splits.
import type { CommandModule } from 'yargs';

import { SPLITS } from '../../sim/splits.js';
import { createTaskEpisode } from '../../sim/task-episode.js';
import { EVALUATION_SEEDS, TASKS } from '../../sim/task-registry.js';
import type { GlobalArgs } from '../global-args.js';
import { printJson, printTable } from '../output.js';

export const simTasksCommand: CommandModule<GlobalArgs, GlobalArgs & { json: boolean }> = {
  command: 'tasks',
  describe: 'List the simulator tasks with an example instruction per split',
  builder: (y) => y.option('json', { type: 'boolean', default: false, describe: 'print JSON' }),
  handler: (args) => {
    const tasks = TASKS.map((t) => ({
      id: t.id,
      summary: t.summary,
      horizon: t.horizon,
      // Seed 0 of each split, as an example of what the split changes.
      examples: Object.fromEntries(
        SPLITS.map((split) => [split, createTaskEpisode(t.id, 0, split).setup.instruction]),
      ),
    }));
    if (args.json) {
      printJson({ tasks, splits: SPLITS, evaluationSeeds: EVALUATION_SEEDS });
      return;
    }
    printTable(
      ['task', 'steps', 'summary', 'example (seed 0)'],
      tasks.map((t) => [t.id, String(t.horizon), t.summary, t.examples['in-domain'] ?? '']),
    );
    process.stdout.write(
      `\nsplits: ${SPLITS.join(', ')}; evaluation seeds ${EVALUATION_SEEDS[0]}–${EVALUATION_SEEDS.at(-1)} of each\n`,
    );
  },
};
