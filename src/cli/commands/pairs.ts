// grape pairs: chosen/rejected preference pairs from the scores in the index, per task and group
// (instruction, policy checkpoint, initial state): the top m of a group each paired with its bottom m,
// unless their scores are closer than the minimum margin. Stored in the index, printed per group, and
// written as JSON.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import type { CommandModule } from 'yargs';

import { EpisodeIndex } from '../../episode/episode-index.js';
import { pairEpisodes } from '../../gcpg/episode-pairing.js';
import { DEFAULT_PAIRING } from '../../gcpg/pair-selector.js';
import type { GlobalArgs } from '../global-args.js';
import { printJson, printTable } from '../output.js';
import { reportingErrors } from './costs-options.js';

interface Args extends GlobalArgs {
  task?: string[];
  m: number;
  'min-margin': number;
  'by-initial-state': boolean;
  iteration?: number;
  'dry-run': boolean;
  out?: string;
  json: boolean;
}

export const pairsCommand: CommandModule<GlobalArgs, Args> = {
  command: 'pairs',
  describe: 'Rank scored episodes and store top-m × bottom-m preference pairs per task',
  builder: (y) =>
    y
      .option('task', {
        type: 'string',
        array: true,
        describe: 'only these tasks (default: every task in the index)',
      })
      .option('m', {
        type: 'number',
        default: DEFAULT_PAIRING.perSide,
        describe: 'pair the top m with the bottom m of each group',
      })
      .option('min-margin', {
        type: 'number',
        default: DEFAULT_PAIRING.minMargin,
        describe: 'skip pairs whose scores differ by less',
      })
      .option('by-initial-state', {
        type: 'boolean',
        default: DEFAULT_PAIRING.byInitialState,
        describe:
          'only pair episodes from the same initial state (seed) where known (--no-by-initial-state pools them)',
      })
      .option('iteration', { type: 'number', describe: 'the GRAPE iteration the pairs are for' })
      .option('dry-run', { type: 'boolean', default: false, describe: 'select and print, but store nothing' })
      .option('out', {
        type: 'string',
        describe: 'write the JSON report here (default <data-dir>/gcpg/pairs-<time>.json)',
      })
      .option('json', { type: 'boolean', default: false, describe: 'print JSON' })
      .strict(),
  handler: (args) =>
    reportingErrors('pairs', () => {
      const dataDir = args['data-dir'];
      const index = EpisodeIndex.open(dataDir);
      let tasks;
      try {
        tasks = pairEpisodes(index, {
          pairing: {
            perSide: args.m,
            minMargin: args['min-margin'],
            byInitialState: args['by-initial-state'],
          },
          store: !args['dry-run'],
          ...(args.task ? { taskIds: args.task } : {}),
          ...(args.iteration !== undefined ? { iteration: args.iteration } : {}),
        });
      } finally {
        index.close();
      }
      const report = {
        createdAt: new Date().toISOString(),
        stored: !args['dry-run'],
        options: {
          m: args.m,
          minMargin: args['min-margin'],
          byInitialState: args['by-initial-state'],
          iteration: args.iteration,
        },
        tasks: tasks.map((t) => ({
          taskId: t.taskId,
          scoreConfig: t.scoreConfig,
          excluded: t.excluded,
          groups: t.pairing.groups,
          pairs: t.pairing.pairs.map((p) => ({
            group: p.group,
            chosen: p.chosen.episodeId,
            rejected: p.rejected.episodeId,
            chosenScore: p.chosen.score,
            rejectedScore: p.rejected.score,
            margin: p.margin,
          })),
          storedPairIds: t.stored.map((p) => p.id),
          alreadyStored: t.alreadyStored,
        })),
      };
      const out = args.out ?? join(dataDir, 'gcpg', `pairs-${report.createdAt.replace(/[:.]/g, '-')}.json`);
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
      if (args.json) {
        printJson({ ...report, out });
      } else {
        if (tasks.length === 0) process.stdout.write(`no scorable episodes in ${dataDir}\n`);
        for (const t of tasks) {
          process.stdout.write(`\n${t.taskId}\n`);
          for (const g of t.pairing.groups) {
            const chosen = new Set(
              t.pairing.pairs.filter((p) => p.group === g.key).map((p) => p.chosen.episodeId),
            );
            const rejected = new Set(
              t.pairing.pairs.filter((p) => p.group === g.key).map((p) => p.rejected.episodeId),
            );
            process.stdout.write(
              `${g.key}: ${g.pairs} pair(s)${g.tooClose ? `, ${g.tooClose} too close` : ''}\n`,
            );
            printTable(
              ['rank', 'episode', 'score', 'side'],
              g.ranked.map((e) => [
                String(e.rank),
                e.episodeId,
                e.score.toFixed(4),
                chosen.has(e.episodeId) ? 'chosen' : rejected.has(e.episodeId) ? 'rejected' : '',
              ]),
            );
          }
          for (const x of t.excluded) process.stdout.write(`left out ${x.episodeId}: ${x.reason}\n`);
          const stored = args['dry-run'] ? 'not stored (--dry-run)' : `${t.stored.length} stored`;
          process.stdout.write(
            `${t.pairing.pairs.length} pair(s): ${stored}${t.alreadyStored ? `, ${t.alreadyStored} already in the index` : ''}\n`,
          );
        }
        process.stdout.write(`\nreport: ${out}\n`);
      }
    }),
};
