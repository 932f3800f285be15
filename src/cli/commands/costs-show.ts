// grape costs show: a task's cost spec (by default the one scoring uses for the objective), its stages,
// completion conditions and weighted terms; --json gives the spec itself.
import type { CommandModule } from 'yargs';

import { costSpecText } from '../../gcpg/cost-spec-text.js';
import type { CostSpecStore, ResolvedCostSpec } from '../../gcpg/cost-spec-store.js';
import type { Objective } from '../../gcpg/cost-spec.js';
import type { GlobalArgs } from '../global-args.js';
import { printJson } from '../output.js';
import { reportingErrors, specStore, withSpecKey, type SpecKeyArgs } from './costs-options.js';

interface Args extends SpecKeyArgs {
  version?: number;
}

/** A stored version, or what scoring uses when no version is named. */
export function chosenSpec(
  store: CostSpecStore,
  task: string,
  objective: Objective,
  version?: number,
): ResolvedCostSpec {
  if (version !== undefined) {
    const v = store.get(task, objective, version);
    const approved = store.approvedVersion(task, objective) === v.version ? ', approved' : '';
    return { spec: v.spec, version: `${v.id}#${v.hash}`, provenance: `stored ${v.id}${approved}` };
  }
  const resolved = store.resolve(task, objective);
  if (!resolved) {
    throw new Error(
      `no cost spec for ${task}/${objective}: none is approved and ${task} has no built-in spec (grape costs generate or grape costs edit)`,
    );
  }
  return resolved;
}

export const costsShowCommand: CommandModule<GlobalArgs, Args> = {
  command: 'show',
  describe: 'Show a cost spec (default: the one scoring uses for the task and objective)',
  builder: (y) =>
    withSpecKey(y)
      .option('version', { type: 'number', describe: 'a stored version (N of vN) instead of the one in use' })
      .strict(),
  handler: (args) =>
    reportingErrors('costs show', () => {
      const chosen = chosenSpec(specStore(args), args.task, args.objective, args.version);
      if (args.json) {
        printJson(chosen);
        return;
      }
      process.stdout.write(`${chosen.version} (${chosen.provenance})\n\n${costSpecText(chosen.spec)}\n`);
    }),
};
