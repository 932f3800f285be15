#!/usr/bin/env node
// The grape command line: one yargs command module per file under ./commands.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';

import { defaultDataDir } from './data-dir.js';
import { bagCommand } from './commands/bag.js';
import { costsCommand } from './commands/costs.js';
import { demoCommand } from './commands/demo.js';
import { evalCommand } from './commands/eval.js';
import { iterateCommand } from './commands/iterate.js';
import { modelCommand } from './commands/model.js';
import { pairsCommand } from './commands/pairs.js';
import { policyCommand } from './commands/policy.js';
import { recoverCommand } from './commands/recover.js';
import { replayCommand } from './commands/replay.js';
import { reportCommand } from './commands/report.js';
import { runCommand } from './commands/run.js';
import { scoreCommand } from './commands/score.js';
import { simCommand } from './commands/sim.js';
import { trainCommand } from './commands/train.js';
import { doctorCommand } from './commands/doctor.js';
import { jobsCommand } from './commands/jobs.js';
import { sessionCommand } from './commands/session.js';

await yargs(hideBin(process.argv))
  .scriptName('grape')
  .option('data-dir', {
    type: 'string',
    default: defaultDataDir(),
    describe: 'where episodes, scores and checkpoints live ($GRAPE_DATA_DIR, else ~/.grape)',
  })
  .command(doctorCommand)
  .command(demoCommand)
  .command(modelCommand)
  .command(bagCommand)
  .command(recoverCommand)
  .command(replayCommand)
  .command(simCommand)
  .command(runCommand)
  .command(scoreCommand)
  .command(pairsCommand)
  .command(costsCommand)
  .command(trainCommand)
  .command(policyCommand)
  .command(iterateCommand)
  .command(sessionCommand)
  .command(jobsCommand)
  .command(evalCommand)
  .command(reportCommand)
  .demandCommand(1, 'name a command (grape --help lists them)')
  .strict()
  .help()
  .parseAsync();
