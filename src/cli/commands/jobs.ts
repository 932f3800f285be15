// grape jobs [list|show|cancel|run]: the background jobs that score, pair and train between sessions.
import type { CommandModule } from 'yargs';

import type { GlobalArgs } from '../global-args.js';
import { jobsCancelCommand } from './jobs-cancel.js';
import { jobsListCommand } from './jobs-list.js';
import { jobsRunCommand } from './jobs-run.js';
import { jobsShowCommand } from './jobs-show.js';

export const jobsCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'jobs',
  describe: 'Background jobs (between-session scoring, pairing, training): list, show, cancel',
  builder: (y) =>
    y.command(jobsListCommand).command(jobsShowCommand).command(jobsCancelCommand).command(jobsRunCommand),
  handler: () => undefined,
};
