// grape costs list: every cost spec version per task and objective (and the built-in ones), where each
// came from, which is approved, and which one scoring uses.
import type { CommandModule } from 'yargs';

import { BUILTIN_SPEC_TASKS, builtinCostSpec } from '../../gcpg/builtin-cost-specs.js';
import type { Objective } from '../../gcpg/cost-spec.js';
import { specHash, type CostSpecOrigin } from '../../gcpg/cost-spec-store.js';
import type { GlobalArgs } from '../global-args.js';
import { printJson, printTable } from '../output.js';
import { reportingErrors, specStore } from './costs-options.js';

interface Args extends GlobalArgs {
  task?: string;
  json: boolean;
}

export interface CostSpecListEntry {
  task: string;
  objective: Objective;
  /** v<N> for stored versions, "builtin" for the built-in spec */
  version: string;
  origin: CostSpecOrigin | { kind: 'builtin' };
  createdAt?: string;
  hash: string;
  approved: boolean;
  /** what grape score uses for this task and objective */
  inUse: boolean;
}

function originText(origin: CostSpecListEntry['origin']): string {
  switch (origin.kind) {
    case 'builtin':
      return 'built-in';
    case 'vlm':
      return `VLM ${origin.model} (${origin.promptVersion})`;
    case 'edit':
      return `edited from ${origin.from}`;
  }
}

export const costsListCommand: CommandModule<GlobalArgs, Args> = {
  command: 'list',
  describe: 'List cost spec versions per task and objective, and which one scoring uses',
  builder: (y) =>
    y
      .option('task', { type: 'string', describe: 'only this task' })
      .option('json', { type: 'boolean', default: false, describe: 'print JSON' })
      .strict(),
  handler: (args) =>
    reportingErrors('costs list', () => {
      const store = specStore(args);
      const entries: CostSpecListEntry[] = [];
      for (const { task, objective } of store.keys()) {
        if (args.task !== undefined && task !== args.task) continue;
        const approved = store.approvedVersion(task, objective);
        for (const v of store.versions(task, objective)) {
          entries.push({
            task,
            objective,
            version: `v${v.version}`,
            origin: v.origin,
            createdAt: v.createdAt,
            hash: v.hash,
            approved: v.version === approved,
            inUse: v.version === approved,
          });
        }
      }
      for (const task of BUILTIN_SPEC_TASKS) {
        if (args.task !== undefined && task !== args.task) continue;
        const spec = builtinCostSpec(task)!;
        const inUse = store.approvedVersion(task, 'task') === undefined;
        entries.push({
          task,
          objective: 'task',
          version: 'builtin',
          origin: { kind: 'builtin' },
          hash: specHash(spec),
          approved: false,
          inUse,
        });
      }
      entries.sort((a, b) => a.task.localeCompare(b.task) || a.objective.localeCompare(b.objective));
      if (args.json) {
        printJson({ specs: entries });
        return;
      }
      printTable(
        ['task', 'objective', 'version', 'origin', 'approved', 'in use', 'created', 'hash'],
        entries.map((e) => [
          e.task,
          e.objective,
          e.version,
          originText(e.origin),
          e.approved ? 'yes' : '',
          e.inUse ? '*' : '',
          e.createdAt?.slice(0, 19) ?? '',
          e.hash,
        ]),
      );
      process.stdout.write(
        "\nScoring uses the approved version of an objective; else the task objective's approved version (or the built-in spec) with the objective's preset.\n",
      );
    }),
};
