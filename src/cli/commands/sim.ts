// grape sim <subcommand>: the embedded MuJoCo simulator.
import type { CommandModule } from 'yargs';

import type { GlobalArgs } from '../global-args.js';
import { simDemosCommand } from './sim-demos.js';
import { simTasksCommand } from './sim-tasks.js';
import { simViewCommand } from './sim-view.js';

export const simCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'sim <subcommand>',
  describe: 'The embedded MuJoCo simulator: its tasks and what its camera sees',
  builder: (y) =>
    y
      .command(simTasksCommand)
      .command(simDemosCommand)
      .command(simViewCommand)
      .demandCommand(1, 'name a sim subcommand (grape sim --help)'),
  handler: () => undefined,
};
