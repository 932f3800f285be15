// grape policy rollback: goes back to the checkpoint the current promotion replaced (the base head
// before any); repeated, it walks further back through the promotions.
import type { CommandModule } from 'yargs';

import { printJson } from '../output.js';
import type { GlobalArgs } from '../global-args.js';
import { reportingErrors } from './costs-options.js';
import { policyOptions, withCheckpointStore, type PolicyArgs } from './policy-options.js';

interface RollbackArgs extends PolicyArgs {
  note: string | undefined;
}

export const policyRollbackCommand: CommandModule<GlobalArgs, RollbackArgs> = {
  command: 'rollback',
  describe: 'Go back to the previously promoted checkpoint',
  builder: (y) =>
    policyOptions(y).option('note', { type: 'string', describe: 'why (kept in the index)' }).strict(),
  handler: (args) =>
    reportingErrors('policy rollback', () =>
      withCheckpointStore(args, async (store) => {
        const before = store.promoted().checkpointId;
        const promotion = await store.rollback(args.note);
        if (args.json) printJson({ promotion, previous: before });
        else process.stdout.write(`rolled back to ${promotion.checkpointId} (was ${before})\n`);
      }),
    ),
};
