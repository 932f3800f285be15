// grape jobs show <id>: a job's status, its steps with progress, its candidate checkpoint and the
// end of its log.
import type { CommandModule } from 'yargs';

import { JobStore, observedJob } from '../../jobs/job-store.js';
import type { GlobalArgs } from '../global-args.js';
import { printJson } from '../output.js';
import { reportingErrors } from './costs-options.js';
import { printJob } from './jobs-output.js';

interface ShowArgs extends GlobalArgs {
  id: string;
  lines: number;
  json: boolean;
}

export const jobsShowCommand: CommandModule<GlobalArgs, ShowArgs> = {
  command: 'show <id>',
  describe: "Show a job's status, steps, candidate checkpoint and log",
  builder: (y) =>
    y
      .positional('id', { type: 'string', demandOption: true, describe: 'job id (grape jobs lists them)' })
      .option('lines', { type: 'number', default: 20, describe: 'lines of the log to show' })
      .option('json', { type: 'boolean', default: false, describe: 'print JSON' })
      .strict(),
  handler: (args) =>
    reportingErrors('jobs show', () => {
      const store = new JobStore(args['data-dir']);
      const job = observedJob(store.get(args.id));
      const tail = store.logTail(args.id, Math.max(0, args.lines));
      if (args.json) printJson({ ...job, log: store.logPath(args.id), logTail: tail });
      else printJob(job, tail, store.logPath(args.id));
    }),
};
