// grape jobs run <id>: runs a job to its end in this process. The background process that
// `grape session end` and the ROS node's ~/end_session start is this command; with a configured
// command it runs that command, and the command runs `grape jobs run <id> --here` on the machine
// that does the work (the GPU workstation), which runs the steps there.
import type { CommandModule } from 'yargs';

import { runJob } from '../../jobs/job-runner.js';
import type { GlobalArgs } from '../global-args.js';
import { printJson } from '../output.js';
import { reportingErrors } from './costs-options.js';

interface RunArgs extends GlobalArgs {
  id: string;
  here: boolean;
  json: boolean;
}

export const jobsRunCommand: CommandModule<GlobalArgs, RunArgs> = {
  command: 'run <id>',
  describe: "Run a job here (what the background process and a configured command's remote side run)",
  builder: (y) =>
    y
      .positional('id', { type: 'string', demandOption: true, describe: 'job id' })
      .option('here', {
        type: 'boolean',
        default: false,
        describe: "run the steps in this process even if the job names a command (the command's remote side)",
      })
      .option('json', { type: 'boolean', default: false, describe: 'print JSON' })
      .strict(),
  handler: (args) =>
    reportingErrors('jobs run', async () => {
      const job = await runJob(args['data-dir'], args.id, { here: args.here });
      if (args.json) printJson(job);
      else process.stdout.write(`job ${job.id}: ${job.status}${job.message ? `: ${job.message}` : ''}\n`);
      if (job.status !== 'succeeded') process.exitCode = 1;
    }),
};
