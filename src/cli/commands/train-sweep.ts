// grape train sweep: a small grid over learning rate, β and epochs on the data grape train would
// use, ranked by the held-out metric (pair accuracy, or NLL for sft). Writes the table as JSON under
// <data-dir>/runs/ and prints the grape train options of the best row; no checkpoint is written.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { CommandModule } from 'yargs';

import { nativeTrainerFactory } from '../../app/native-trainer-factory.js';
import { EpisodeIndex } from '../../episode/episode-index.js';
import { sweepHyperparameters, type SweepResult } from '../../tpo/hyperparameter-sweep.js';
import { runsDir } from '../../tpo/run-directory.js';
import { prepareTraining } from '../../tpo/training-inputs.js';
import type { GlobalArgs } from '../global-args.js';
import { printJson, printTable } from '../output.js';
import { progressBar } from '../progress.js';
import { reportingErrors } from './costs-options.js';
import { modelDirOf, selectionOf, settingsOf, trainOptions, type TrainOptionArgs } from './train-options.js';

interface SweepArgs extends Omit<TrainOptionArgs, 'lr' | 'beta' | 'epochs'> {
  lr: number[];
  beta: number[];
  epochs: number[];
}

function printSweep(r: SweepResult, pairs: boolean): void {
  const metric = (m: SweepResult['start']) => (pairs ? m.accuracy.toFixed(3) : m.nll.toFixed(4));
  process.stdout.write(`held-out ${pairs ? 'pair accuracy' : 'NLL'} of the parent: ${metric(r.start)}\n`);
  printTable(
    [
      'lr',
      ...(pairs ? ['beta'] : []),
      'epochs',
      'steps',
      pairs ? 'held-out acc' : 'held-out nll',
      'held-out loss',
      'train loss',
      '',
    ],
    r.rows.map((row) => [
      String(row.lr),
      ...(pairs ? [String(row.beta)] : []),
      String(row.epochs),
      String(row.steps),
      metric(row.heldOut),
      row.heldOut.loss.toFixed(4),
      row.train ? row.train.loss.toFixed(4) : '',
      row === r.best ? 'best' : '',
    ]),
  );
  process.stdout.write(
    `best: --lr ${r.best.lr}${pairs ? ` --beta ${r.best.beta}` : ''} --epochs ${r.best.epochs}\n`,
  );
}

export const trainSweepCommand: CommandModule<GlobalArgs, SweepArgs> = {
  command: 'sweep',
  describe: 'Grid-search learning rate, β and epochs on held-out data (writes no checkpoint)',
  builder: (y) =>
    trainOptions(y)
      .option('lr', { type: 'number', array: true, default: [3e-4, 1e-3, 3e-3], describe: 'learning rates' })
      .option('beta', {
        type: 'number',
        array: true,
        default: [0.1, 0.3, 1],
        describe: 'β values (preference objectives)',
      })
      .option('epochs', { type: 'number', array: true, default: [1, 2, 4, 8], describe: 'epoch counts' })
      .demandOption('objective'),
  handler: (args) =>
    reportingErrors('train sweep', async () => {
      const objective = args.objective!;
      // The grid takes the place of --lr, --beta and --epochs.
      const common: TrainOptionArgs = { ...args, lr: undefined, beta: undefined, epochs: undefined };
      const settings = settingsOf(common, objective);
      const index = EpisodeIndex.open(args['data-dir']);
      const bar = progressBar('sweep [{bar}] {value}/{total} runs');
      let result: SweepResult;
      let pairs: boolean;
      try {
        const inputs = await prepareTraining(index, {
          modelDir: modelDirOf(common),
          ...(args.from === undefined ? {} : { from: args.from }),
          objective,
          selection: selectionOf(common),
          heldOutShare: settings.heldOutShare,
          seed: settings.seed,
        });
        pairs = inputs.set.kind === 'pairs';
        result = await sweepHyperparameters(
          inputs,
          settings,
          { lr: args.lr, beta: args.beta, epochs: args.epochs },
          nativeTrainerFactory(args.device),
          (done, total) => {
            if (done === 0) bar.start(total, 0);
            else bar.update(done);
          },
        );
      } finally {
        bar.stop();
        index.close();
      }
      const createdAt = new Date().toISOString();
      const out = join(
        runsDir(args['data-dir']),
        `sweep-${objective.replace('+', '-')}-${createdAt.replace(/[:.]/g, '-')}.json`,
      );
      mkdirSync(runsDir(args['data-dir']), { recursive: true });
      writeFileSync(out, `${JSON.stringify({ createdAt, objective, settings, ...result }, null, 2)}\n`);
      if (args.json) printJson({ ...result, out });
      else {
        printSweep(result, pairs);
        process.stdout.write(`table: ${out}\n`);
      }
    }),
};
