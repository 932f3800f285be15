// grape jobs cancel <id>: stops a running job (SIGTERM to its process group); what its finished
// steps stored stays, and an interrupted training run can be resumed (grape train --resume <run>).
import type { CommandModule } from 'yargs';

import { cancelJob } from '../../jobs/job-runner.js';
import type { GlobalArgs } from '../global-args.js';
import { printJson } from '../output.js';
import { reportingErrors } from './costs-options.js';

interface CancelArgs extends GlobalArgs {
  id: string;
  json: boolean;
}

export const jobsCancelCommand: CommandModule<GlobalArgs, CancelArgs> = {
  command: 'cancel <id>',
  describe: 'Stop a running job',
  builder: (y) =>
    y
      .positional('id', { type: 'string', demandOption: true, describe: 'job id' })
      .option('json', { type: 'boolean', default: false, describe: 'print JSON' })
      .strict(),
  handler: (args) =>
    reportingErrors('jobs cancel', async () => {
      const job = await cancelJob(args['data-dir'], args.id);
      if (args.json) printJson(job);
      else process.stdout.write(`job ${job.id}: ${job.status}\n`);
    }),
};
