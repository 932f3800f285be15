// grape costs approve: makes a stored cost spec version the one scoring uses for its task and objective.
import type { CommandModule } from 'yargs';

import type { GlobalArgs } from '../global-args.js';
import { printJson } from '../output.js';
import { reportingErrors, specStore, withSpecKey, type SpecKeyArgs } from './costs-options.js';

interface Args extends SpecKeyArgs {
  version?: number;
}

export const costsApproveCommand: CommandModule<GlobalArgs, Args> = {
  command: 'approve',
  describe: 'Approve a stored cost spec version (default: the newest) for scoring',
  builder: (y) =>
    withSpecKey(y)
      .option('version', { type: 'number', describe: 'the version to approve (N of vN; default the newest)' })
      .strict(),
  handler: (args) =>
    reportingErrors('costs approve', () => {
      const record = specStore(args).approve(args.task, args.objective, args.version);
      if (args.json) printJson({ approved: record.id, hash: record.hash });
      else
        process.stdout.write(
          `approved ${record.id} (${record.hash}): grape score uses it for ${args.task}/${args.objective}\n`,
        );
    }),
};
