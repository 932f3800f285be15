// grape costs <subcommand>: the GCPG cost specs per task and objective (built in, written by a VLM,
// edited by people), and which one scoring uses.
import type { CommandModule } from 'yargs';

import type { GlobalArgs } from '../global-args.js';
import { costsApproveCommand } from './costs-approve.js';
import { costsEditCommand } from './costs-edit.js';
import { costsGenerateCommand } from './costs-generate.js';
import { costsListCommand } from './costs-list.js';
import { costsShowCommand } from './costs-show.js';

export const costsCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'costs <subcommand>',
  describe: 'GCPG cost specs: list, show, generate (VLM), edit and approve them',
  builder: (y) =>
    y
      .command(costsListCommand)
      .command(costsShowCommand)
      .command(costsGenerateCommand)
      .command(costsEditCommand)
      .command(costsApproveCommand)
      .demandCommand(1, 'name a costs subcommand (grape costs --help)'),
  handler: () => undefined,
};
