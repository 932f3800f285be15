// grape policy promote <checkpoint>: makes a checkpoint the one the model's policy node runs (read
// in full first: a corrupt or mismatched adapter is refused). A running node picks it up on
// ~/reload_policy or its next start.
import type { CommandModule } from 'yargs';

import { printJson } from '../output.js';
import type { GlobalArgs } from '../global-args.js';
import { reportingErrors } from './costs-options.js';
import { policyOptions, withCheckpointStore, type PolicyArgs } from './policy-options.js';

interface PromoteArgs extends PolicyArgs {
  checkpoint: string;
  note: string | undefined;
}

export const policyPromoteCommand: CommandModule<GlobalArgs, PromoteArgs> = {
  command: 'promote <checkpoint>',
  describe: "Make a checkpoint (adapter id, or 'base') the one the policy node runs",
  builder: (y) =>
    policyOptions(y)
      .positional('checkpoint', { type: 'string', demandOption: true, describe: "adapter id or 'base'" })
      .option('note', { type: 'string', describe: 'why (kept in the index)' })
      .strict(),
  handler: (args) =>
    reportingErrors('policy promote', () =>
      withCheckpointStore(args, async (store) => {
        const before = store.promoted().checkpointId;
        const promotion = await store.promote(args.checkpoint, args.note);
        if (args.json) printJson({ promotion, previous: before });
        else process.stdout.write(`promoted ${promotion.checkpointId} (was ${before})\n`);
      }),
    ),
};
