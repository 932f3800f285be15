// grape policy list: the base head and every checkpoint of the model package — lineage, objective,
// held-out metric, data size — with the promoted one (what the node runs) marked.
import type { CommandModule } from 'yargs';

import type { CheckpointEntry } from '../../tpo/checkpoint-store.js';
import { printJson, printTable } from '../output.js';
import type { GlobalArgs } from '../global-args.js';
import { reportingErrors } from './costs-options.js';
import { policyOptions, withCheckpointStore, type PolicyArgs } from './policy-options.js';

interface Metrics {
  heldOut?: { best?: { accuracy: number; nll: number } };
  steps?: number;
}

/** The held-out figure a checkpoint was selected by, from its adapter header. */
function heldOutOf(e: CheckpointEntry): string {
  const text = e.adapter?.metadata.metrics;
  if (text === undefined) return '';
  try {
    const best = (JSON.parse(text) as Metrics).heldOut?.best;
    if (!best) return '';
    return e.adapter?.objective === 'sft' ? `nll ${best.nll.toFixed(4)}` : `acc ${best.accuracy.toFixed(3)}`;
  } catch {
    return 'unreadable';
  }
}

function dataOf(e: CheckpointEntry): string {
  const text = e.adapter?.metadata.data;
  if (text === undefined) return '';
  try {
    const d = JSON.parse(text) as { kind: string; items: unknown[] };
    return `${d.items.length} ${d.kind === 'pairs' ? 'pairs' : 'episodes'}`;
  } catch {
    return 'unreadable';
  }
}

export const policyListCommand: CommandModule<GlobalArgs, PolicyArgs> = {
  command: 'list',
  describe: "List the model's checkpoints; * marks the promoted one",
  builder: (y) => policyOptions(y).strict(),
  handler: (args) =>
    reportingErrors('policy list', () =>
      withCheckpointStore(args, (store) => {
        const entries = store.list();
        if (args.json) {
          printJson({
            model: store.model,
            modelDir: store.pkg.dir,
            promoted: store.promoted(),
            checkpoints: entries,
          });
          return;
        }
        process.stdout.write(`${store.model} (${store.pkg.dir})\n`);
        printTable(
          ['', 'checkpoint', 'parent', 'objective', 'kind', 'data', 'held-out', 'created', 'registered'],
          entries.map((e) => [
            e.promoted ? '*' : '',
            e.adapterId,
            e.adapter?.parent ?? '',
            e.adapter?.objective ?? (e.adapterId === 'base' ? 'base' : ''),
            e.adapter
              ? e.adapter.lora
                ? `lora r${e.adapter.lora.rank}`
                : e.adapter.kind
              : e.adapterId === 'base'
                ? 'head'
                : 'missing',
            dataOf(e),
            heldOutOf(e),
            e.registered?.createdAt.slice(0, 19) ?? e.adapter?.metadata.created?.slice(0, 19) ?? '',
            e.registered ? 'yes' : 'no',
          ]),
        );
      }),
    ),
};
