// What the grape costs subcommands share: naming a spec by task, objective and version, and reporting
// failures the way every grape command does (a line on stderr, exit code 1).
import type { Argv } from 'yargs';

import { OBJECTIVES, type Objective } from '../../gcpg/cost-spec.js';
import { CostSpecStore } from '../../gcpg/cost-spec-store.js';
import type { GlobalArgs } from '../global-args.js';

export const DEFAULT_OBJECTIVE: Objective = 'task';

export interface SpecKeyArgs extends GlobalArgs {
  task: string;
  objective: Objective;
  json: boolean;
}

export function withSpecKey<T extends GlobalArgs>(y: Argv<T>) {
  return y
    .option('task', { type: 'string', demandOption: true, describe: 'task id' })
    .option('objective', {
      choices: OBJECTIVES,
      default: DEFAULT_OBJECTIVE,
      describe: 'alignment objective the spec is for',
    })
    .option('json', { type: 'boolean', default: false, describe: 'print JSON' });
}

export function specStore(args: GlobalArgs): CostSpecStore {
  return new CostSpecStore(args['data-dir']);
}

/** Runs a command body; an error becomes `grape <command>: message` on stderr and exit code 1. */
export async function reportingErrors(command: string, body: () => void | Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    process.stderr.write(`grape ${command}: ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}
