// grape report: one offline HTML file (inline SVG plots, no scripts, no network) of what the data
// dir holds — success per split per policy, safety and efficiency, GCPG score distributions, pair
// margins, training curves — with a plain note for each part whose data is absent.
import type { CommandModule } from 'yargs';

import { writeReport } from '../../app/report-file.js';
import type { GlobalArgs } from '../global-args.js';
import { printJson, printTable } from '../output.js';
import { reportingErrors } from './costs-options.js';

interface ReportArgs extends GlobalArgs {
  out: string | undefined;
  json: boolean;
}

export { REPORT_FILE } from '../../app/report-file.js';

export const reportCommand: CommandModule<GlobalArgs, ReportArgs> = {
  command: 'report',
  describe:
    'Write an HTML report (offline, inline SVG plots) of the evaluations, scores, pairs and training runs',
  builder: (y) =>
    y
      .option('out', { type: 'string', describe: 'output directory (default: <data-dir>/report)' })
      .option('json', { type: 'boolean', default: false, describe: 'print JSON' })
      .strict(),
  handler: (args) =>
    reportingErrors('report', () => {
      const { path, data, sections } = writeReport(args['data-dir'], args.out);
      if (args.json) {
        printJson({
          path,
          dataDir: data.dataDir,
          sections: sections.map(({ id, title, present }) => ({ id, title, present })),
          inputs: {
            evaluations: data.evaluations.length,
            episodes: data.episodes.length,
            scores: data.scores.length,
            pairs: data.pairs.length,
            trainingRuns: data.trainingRuns.length,
            checkpoints: data.checkpoints.length,
          },
          unreadable: data.unreadable,
        });
        return;
      }
      printTable(
        ['section', 'data'],
        sections.map((s) => [s.title, s.present ? 'shown' : 'absent']),
      );
      for (const u of data.unreadable)
        process.stderr.write(`grape report: could not read ${u.file}: ${u.reason}\n`);
      process.stdout.write(`report written to ${path}\n`);
    }),
};
