// grape jobs [list]: the background jobs of the data dir, newest first, with what each is doing now.
import type { CommandModule } from 'yargs';

import { JobStore, observedJob } from '../../jobs/job-store.js';
import { readJobLock } from '../../jobs/job-lock.js';
import type { GlobalArgs } from '../global-args.js';
import { printJson } from '../output.js';
import { reportingErrors } from './costs-options.js';
import { printJobList } from './jobs-output.js';

interface ListArgs extends GlobalArgs {
  json: boolean;
}

export const jobsListCommand: CommandModule<GlobalArgs, ListArgs> = {
  command: ['list', '$0'],
  describe: 'List the background jobs (between-session scoring, pairing and training), newest first',
  builder: (y) => y.option('json', { type: 'boolean', default: false, describe: 'print JSON' }).strict(),
  handler: (args) =>
    reportingErrors('jobs list', () => {
      const store = new JobStore(args['data-dir']);
      const jobs = store.list().map(observedJob);
      const lock = readJobLock(args['data-dir']);
      if (args.json) {
        printJson({ jobs, lock: lock ?? null });
        return;
      }
      if (jobs.length === 0) {
        process.stdout.write(`no jobs in ${store.dir} (grape session end starts one)\n`);
        return;
      }
      printJobList(jobs);
    }),
};
