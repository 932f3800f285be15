// grape session end: closes a session in the index (the newest open one unless --session names one)
// and starts its between-session job in the background — GCPG scores of its episodes, preference
// pairs for the next iteration, TPO from the promoted checkpoint, the new checkpoint registered as a
// candidate (promoted with --auto-promote) — on this machine or through the configured command
// (<data-dir>/jobs.yaml, --command). --wait follows it to the end.
import type { CommandModule } from 'yargs';

import { OBJECTIVES, type Objective } from '../../gcpg/cost-spec.js';
import { followJob, startBetweenSessionJob } from '../../jobs/job-runner.js';
import { JobStore } from '../../jobs/job-store.js';
import type { GlobalArgs } from '../global-args.js';
import { printJson } from '../output.js';
import { reportingErrors } from './costs-options.js';
import { printJob, progressPrinter } from './jobs-output.js';

interface EndArgs extends GlobalArgs {
  session: string | undefined;
  wait: boolean;
  'auto-promote': boolean | undefined;
  command: string | undefined;
  policy: string | undefined;
  objective: Objective | undefined;
  device: string | undefined;
  notes: string | undefined;
  json: boolean;
}

export const sessionEndCommand: CommandModule<GlobalArgs, EndArgs> = {
  command: 'end',
  describe: 'Close a session and start the job that scores, pairs and trains on its episodes',
  builder: (y) =>
    y
      .option('session', { type: 'string', describe: 'session id (default: the newest open session)' })
      .option('wait', { type: 'boolean', default: false, describe: 'follow the job until it ends' })
      .option('auto-promote', {
        type: 'boolean',
        describe: 'promote the candidate when the job ends well (default: jobs.yaml auto_promote, else no)',
      })
      .option('command', {
        type: 'string',
        describe:
          'run the job with this shell command, e.g. on the GPU workstation; {job}, {data_dir}, {session} are substituted (default: jobs.yaml command, else here)',
      })
      .option('policy', {
        type: 'string',
        describe: 'model package directory (default: jobs.yaml policy, else <data-dir>/models/grape-default)',
      })
      .option('objective', { choices: OBJECTIVES, describe: 'GCPG objective (cost preset; default task)' })
      .option('device', { type: 'string', describe: "trainer device: 'auto', 'cpu', 'cuda', 'cuda:N'" })
      .option('notes', { type: 'string', describe: 'kept with the job' })
      .option('json', { type: 'boolean', default: false, describe: 'print JSON' })
      .strict(),
  handler: (args) =>
    reportingErrors('session end', async () => {
      const dataDir = args['data-dir'];
      const started = startBetweenSessionJob(dataDir, {
        ...(args.session === undefined ? {} : { sessionId: args.session }),
        overrides: {
          ...(args.policy === undefined ? {} : { modelDir: args.policy }),
          ...(args.objective === undefined ? {} : { objective: args.objective }),
          ...(args.device === undefined ? {} : { device: args.device }),
          ...(args['auto-promote'] === undefined ? {} : { autoPromote: args['auto-promote'] }),
          ...(args.command === undefined ? {} : { command: args.command }),
          ...(args.notes === undefined ? {} : { notes: args.notes }),
        },
      });
      const { job, session, closed, episodes } = started;
      const store = new JobStore(dataDir);
      if (!args.json)
        process.stdout.write(
          `session ${session.id} ${closed ? 'closed' : 'was already closed'} (${episodes} episode(s)); job ${job.id} started: ${job.steps.map((s) => s.name).join(' → ')}\n`,
        );
      if (!args.wait) {
        if (args.json) printJson({ session, closed, episodes, job });
        else process.stdout.write(`follow it: grape jobs show ${job.id}\n`);
        return;
      }
      const ended = await followJob(dataDir, job.id, args.json ? {} : { onChange: progressPrinter() });
      if (args.json) printJson({ session, closed, episodes, job: ended });
      else {
        process.stdout.write('\n');
        printJob(ended, store.logTail(job.id, 10), store.logPath(job.id));
      }
      if (ended.status !== 'succeeded') process.exitCode = 1;
    }),
};
