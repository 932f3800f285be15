// grape train: fine-tunes the action head on recorded episodes — sft on successful demonstrations
// or rollouts, tpo / tpo+nll / step-dpo on stored preference pairs — from the promoted checkpoint
// (or --from), with a held-out split and early stopping, and writes a new checkpoint (adapter) into
// the model package. The run directory keeps the JSONL log, snapshots (--resume) and a summary.
import type { CommandModule } from 'yargs';

import { nativeTrainerFactory } from '../../app/native-trainer-factory.js';
import { EpisodeIndex } from '../../episode/episode-index.js';
import type { ReferenceGap } from '../../tpo/reference-gap.js';
import {
  resumeTraining,
  trainCheckpoint,
  type JobEvents,
  type TrainingSummary,
} from '../../tpo/training-job.js';
import type { TrainMetrics } from '../../native/trainer-types.js';
import type { GlobalArgs } from '../global-args.js';
import { printJson, printPairs } from '../output.js';
import { progressBar } from '../progress.js';
import { reportingErrors } from './costs-options.js';
import { trainSweepCommand } from './train-sweep.js';
import { modelDirOf, selectionOf, settingsOf, trainOptions, type TrainOptionArgs } from './train-options.js';

interface TrainArgs extends TrainOptionArgs {
  id: string | undefined;
  resume: string | undefined;
  promote: boolean;
}

function heldOutText(m: TrainMetrics | undefined, pairs: boolean): string {
  if (!m) return '';
  return pairs
    ? `held-out acc ${m.accuracy.toFixed(3)} loss ${m.loss.toFixed(4)}`
    : `held-out nll ${m.nll.toFixed(4)}`;
}

function gapText(g: ReferenceGap): string {
  const compared = g.steps
    ? `|Δlogp| mean ${g.meanAbs.toExponential(2)}, max ${g.maxAbs.toExponential(2)} over ${g.steps} steps of ${g.policyId}`
    : `no logged steps of ${g.policyId} to compare`;
  return g.otherPolicySteps
    ? `${compared} (${g.otherPolicySteps} steps of other policies/demonstrators)`
    : compared;
}

function printSummary(s: TrainingSummary): void {
  const pairs = s.data.kind === 'pairs';
  const rows: [string, string][] = [
    ['checkpoint', s.checkpoint],
    ['adapter', `${s.adapterFile} (${s.storedAs})`],
    ['parent', s.parent],
    ['objective', `${s.objective}, ${s.trainable} on ${s.device}`],
    [
      'data',
      `${s.data.items} ${pairs ? 'pairs' : 'trajectories'} (${s.data.train} train, ${s.data.heldOut} held out), ${s.data.policySteps}/${s.data.steps} policy steps, ${s.data.excluded} left out`,
    ],
    ['reference', gapText(s.referenceGap)],
    ['steps', `${s.steps} (${s.stopped}); best at step ${s.bestStep}`],
  ];
  if (s.heldOut)
    rows.push([
      'held-out',
      `${heldOutText(s.heldOut.start, pairs)} at the start → ${heldOutText(s.heldOut.best, pairs)} at the best`,
    ]);
  rows.push(['time', `${s.seconds.toFixed(1)} s, ${s.stepsPerSecond.toFixed(2)} steps/s`]);
  rows.push(['log', s.logPath]);
  rows.push(['promoted', s.promoted ? 'yes' : `no (grape policy promote ${s.adapterId})`]);
  printPairs(`grape train: ${s.runId}`, rows);
}

/** Progress bars on stderr: episodes read, then steps with the latest loss and held-out metric. */
function progressEvents(): JobEvents & { stop: () => void } {
  const reading = progressBar('reading [{bar}] {value}/{total} episodes');
  const training = progressBar(
    'train   [{bar}] {value}/{total} steps | epoch {epoch} | loss {loss} | {heldout}',
  );
  let pairs = false;
  let readingStarted = false;
  return {
    onRead: (done, total) => {
      if (!readingStarted) reading.start(total, 0);
      readingStarted = true;
      reading.update(done);
      if (done === total) reading.stop();
    },
    onStart: (manifest, run) => {
      pairs = manifest.data.kind === 'pairs';
      training.start(run.totalSteps, 0, { epoch: '0', loss: '-', heldout: '' });
    },
    onStep: (r) => {
      training.update(r.step, { epoch: r.epoch.toFixed(2), loss: r.metrics.loss.toFixed(4) });
    },
    onEval: (r) => {
      training.update(r.step, { heldout: heldOutText(r.heldOut, pairs) });
    },
    stop: () => {
      reading.stop();
      training.stop();
    },
  };
}

export const trainCommand: CommandModule<GlobalArgs, TrainArgs> = {
  command: 'train',
  describe: 'Fine-tune the action head (sft, tpo, tpo+nll, step-dpo) into a new checkpoint',
  builder: (y) =>
    trainOptions(y)
      .command(trainSweepCommand)
      .option('id', {
        type: 'string',
        global: false,
        describe: 'id of the new checkpoint and run (default: <objective>-<time>-<hex>)',
      })
      .option('resume', {
        type: 'string',
        global: false,
        describe: 'go on with an interrupted run (its own data and settings)',
      })
      .option('promote', {
        type: 'boolean',
        global: false,
        default: false,
        describe: 'promote the new checkpoint when done',
      })
      .check((a) => {
        if (a.resume === undefined && a.objective === undefined)
          throw new Error('name an --objective (sft, tpo, tpo+nll, step-dpo), or --resume a run');
        return true;
      }),
  handler: (args) =>
    reportingErrors('train', async () => {
      const index = EpisodeIndex.open(args['data-dir']);
      const events = progressEvents();
      const factory = nativeTrainerFactory(args.device);
      let summary: TrainingSummary;
      try {
        summary =
          args.resume !== undefined
            ? await resumeTraining(index, args.resume, factory, events, args.promote)
            : await trainCheckpoint(
                index,
                {
                  modelDir: modelDirOf(args),
                  ...(args.from === undefined ? {} : { from: args.from }),
                  settings: settingsOf(args, args.objective!),
                  selection: selectionOf(args),
                  ...(args.id === undefined ? {} : { id: args.id }),
                  promote: args.promote,
                },
                factory,
                events,
                args.device,
              );
      } finally {
        events.stop();
        index.close();
      }
      if (args.json) printJson(summary);
      else printSummary(summary);
    }),
};
