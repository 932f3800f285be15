// grape recover: repairs the bags of episodes whose recorder never finished them (killed,
// crashed, or stopped by a full disk) and marks them incomplete in the index. Episodes a running
// recorder is still writing are left alone unless --force.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import type { CommandModule } from 'yargs';

import { EpisodeIndex, INDEX_FILE } from '../../episode/episode-index.js';
import { recoverEpisodes, type RecoveryReport } from '../../episode/episode-recovery.js';
import { printJson, printTable } from '../output.js';
import type { GlobalArgs } from '../global-args.js';

interface Args extends GlobalArgs {
  force: boolean;
  json: boolean;
}

function printReport(report: RecoveryReport, dataDir: string): void {
  if (report.recovered.length === 0 && report.skipped.length === 0) {
    process.stdout.write(`grape recover: nothing to recover in ${dataDir}\n`);
    return;
  }
  if (report.recovered.length > 0) {
    process.stdout.write(
      `grape recover: ${report.recovered.length} episode(s) repaired and marked incomplete\n\n`,
    );
    printTable(
      ['episode', 'messages', 'steps', 'bytes lost', 'bag'],
      report.recovered.map((r) => [
        r.id,
        String(r.messages),
        String(r.steps),
        String(r.droppedBytes),
        r.bagPath,
      ]),
    );
  }
  for (const s of report.skipped) process.stdout.write(`skipped ${s.id}: ${s.reason}\n`);
}

export const recoverCommand: CommandModule<GlobalArgs, Args> = {
  command: 'recover',
  describe: 'Repair episodes a recorder left unfinished (crash, kill, full disk) and mark them incomplete',
  builder: (y) =>
    y
      .option('force', {
        type: 'boolean',
        default: false,
        describe: 'also repair episodes whose recorder seems to be running (or ran on another host)',
      })
      .option('json', { type: 'boolean', default: false, describe: 'print JSON' })
      .strict(),
  handler: async (args) => {
    const dataDir = args['data-dir'];
    let report: RecoveryReport = { recovered: [], skipped: [] };
    if (existsSync(join(dataDir, INDEX_FILE))) {
      const index = EpisodeIndex.open(dataDir);
      try {
        report = await recoverEpisodes(index, { force: args.force });
      } finally {
        index.close();
      }
    }
    if (args.json) printJson(report);
    else printReport(report, dataDir);
  },
};
