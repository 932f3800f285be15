// grape policy <subcommand>: the checkpoints of a model package and which one its node runs.
import type { CommandModule } from 'yargs';

import type { GlobalArgs } from '../global-args.js';
import { policyListCommand } from './policy-list.js';
import { policyPromoteCommand } from './policy-promote.js';
import { policyRollbackCommand } from './policy-rollback.js';

export const policyCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'policy <subcommand>',
  describe: 'List checkpoints, promote one for the policy node, or roll back',
  builder: (y) =>
    y
      .command(policyListCommand)
      .command(policyPromoteCommand)
      .command(policyRollbackCommand)
      .demandCommand(1, 'name a policy subcommand (grape policy --help)'),
  handler: () => undefined,
};
