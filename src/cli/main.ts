#!/usr/bin/env node
// The grape command line: one yargs command module per file under ./commands.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';

import { defaultDataDir } from './data-dir.js';
import { demoCommand } from './commands/demo.js';
import { doctorCommand } from './commands/doctor.js';

await yargs(hideBin(process.argv))
  .scriptName('grape')
  .option('data-dir', {
    type: 'string',
    default: defaultDataDir(),
    describe: 'where episodes, scores and checkpoints live ($GRAPE_DATA_DIR, else ~/.grape)',
  })
  .command(doctorCommand)
  .command(demoCommand)
  .demandCommand(1, 'name a command (grape --help lists them)')
  .strict()
  .help()
  .parseAsync();
