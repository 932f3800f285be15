// grape replay <bag>: a recorded rosbag → episodes in the index, with features and per-step
// log-likelihoods recomputed by a policy (default: the model grape model init writes).

import type { CommandModule } from 'yargs';

import { loadPolicy } from '../../app/load-policy.js';
import { defaultModelDir } from '../../app/model-location.js';
import { BagFormatError } from '../../bag/bag-errors.js';
import { BagReader } from '../../bag/bag-reader.js';
import { replayBag, type ReplayReport } from '../../bag/bag-replay.js';
import type { SegmentBy } from '../../bag/episode-segments.js';
import { policyForReplay } from '../../bag/policy-replay.js';
import { EVENT_TOPIC } from '../../episode/policy-step.js';
import { DEFAULT_MODEL_NAME } from '../../policy/default-model/default-model.js';
import { ModelPackageError } from '../../policy/model-package-error.js';
import { PolicyInputError } from '../../policy/policy-input-error.js';
import { printJson, printTable } from '../output.js';
import { progressBar } from '../progress.js';
import type { GlobalArgs } from '../global-args.js';

interface Args extends GlobalArgs {
  bag: string;
  instruction: string;
  task: string | undefined;
  'segment-by': SegmentBy | 'auto';
  gap: number;
  model: string | undefined;
  adapter: string | undefined;
  device: string;
  'camera-topic': string | undefined;
  'joints-topic': string | undefined;
  'action-topic': string | undefined;
  json: boolean;
}

/** auto: grape's own episode events if the bag has them, else service events, else pauses. */
function segmentation(bag: BagReader, choice: Args['segment-by']): SegmentBy {
  if (choice !== 'auto') return choice;
  const names = bag.info.topics.map((t) => t.name);
  if (names.includes(EVENT_TOPIC)) return 'topic';
  if (names.some((n) => n.endsWith('/start_episode/_service_event'))) return 'service';
  return 'gap';
}

function printReport(report: ReplayReport, seconds: number): void {
  if (report.episodes.length === 0) {
    process.stdout.write('grape replay: no episode found in the bag\n');
    return;
  }
  printTable(
    ['episode', 'task', 'outcome', 'steps', 'policy steps', 'mean logp', 'bag'],
    report.episodes.map((e) => [
      e.episode.id,
      e.episode.taskId,
      e.episode.outcome ?? '-',
      String(e.steps),
      String(e.policySteps),
      Number.isNaN(e.meanLogp) ? '-' : e.meanLogp.toFixed(3),
      e.episode.bagPath,
    ]),
  );
  const steps = report.episodes.reduce((n, e) => n + e.steps, 0);
  process.stdout.write(
    `\n${report.messagesRead} messages (${(report.bytesRead / 1e6).toFixed(1)} MB) in ${seconds.toFixed(1)} s; ${steps} steps scored\n`,
  );
  for (const e of report.episodes) {
    if (e.stepsWithoutObservation > 0) {
      process.stdout.write(
        `${e.episode.id}: ${e.stepsWithoutObservation} steps before any camera frame or joint state were left out\n`,
      );
    }
  }
}

export const replayCommand: CommandModule<GlobalArgs, Args> = {
  command: 'replay <bag>',
  describe:
    'Turn a recorded bag into episodes, recomputing features and per-step log-likelihoods with a policy',
  builder: (y) =>
    y
      .positional('bag', { type: 'string', demandOption: true, describe: 'bag directory or .mcap/.db3 file' })
      .option('instruction', {
        type: 'string',
        demandOption: true,
        describe: 'the instruction the robot was given',
      })
      .option('task', {
        type: 'string',
        describe: 'task id for the episodes (default: as the bag says, else "replay")',
      })
      .option('segment-by', {
        choices: ['auto', 'topic', 'service', 'gap'] as const,
        default: 'auto' as const,
        describe: 'episode boundaries: /grape/episode_event, start/end_episode service events, or pauses',
      })
      .option('gap', {
        type: 'number',
        default: 1,
        describe: 'with --segment-by gap: the pause (s) between episodes',
      })
      .option('model', {
        type: 'string',
        describe: `model package directory (default: <data-dir>/models/${DEFAULT_MODEL_NAME})`,
      })
      .option('adapter', {
        type: 'string',
        describe: 'adapter id under the package adapters/ (default: its own head)',
      })
      .option('device', { type: 'string', default: 'auto', describe: 'auto, cpu, cuda or cuda:N' })
      .option('camera-topic', {
        type: 'string',
        describe: 'default: the first Image or CompressedImage topic',
      })
      .option('joints-topic', { type: 'string', describe: 'default: the first JointState topic' })
      .option('action-topic', {
        type: 'string',
        describe:
          'default: /grape/step; or a std_msgs/msg/Float64MultiArray of actions (tokens by the policy)',
      })
      .option('json', { type: 'boolean', default: false, describe: 'print JSON' })
      .check((a) => {
        if (!(a.gap > 0)) throw new Error(`--gap must be a positive number of seconds, got ${a.gap}`);
        return true;
      })
      .strict(),
  handler: async (args) => {
    const fail = (error: unknown) => {
      if (!(
        error instanceof BagFormatError ||
        error instanceof ModelPackageError ||
        error instanceof PolicyInputError
      )) {
        throw error;
      }
      process.stderr.write(`grape replay: ${error.message}\n`);
      process.exitCode = 1;
    };
    let bag: BagReader;
    try {
      bag = await BagReader.open(args.bag);
    } catch (error) {
      fail(error);
      return;
    }
    const bar = progressBar('replay [{bar}] {percentage}% {value}/{total} messages');
    try {
      const model = args.model ?? defaultModelDir(args['data-dir']);
      const loaded = await loadPolicy(model, {
        device: args.device,
        ...(args.adapter === undefined ? {} : { adapter: args.adapter }),
      });
      // As the policy itself does: an encoder exported with a fixed batch of 1 encodes one step at a time.
      const batch = loaded.package.encoderSignature.inputs[0]?.dims[0];
      const policy = policyForReplay(loaded.policy, { encodeBatch: typeof batch === 'number' ? batch : 32 });
      const started = performance.now();
      let report: ReplayReport;
      try {
        bar.start(1, 0);
        report = await replayBag({
          bag,
          dataDir: args['data-dir'],
          policy,
          instruction: args.instruction,
          segmentBy: segmentation(bag, args['segment-by']),
          gapNs: BigInt(Math.round(args.gap * 1e9)),
          onProgress: (done, total) => {
            bar.setTotal(total);
            bar.update(done);
          },
          ...(args.task === undefined ? {} : { taskId: args.task }),
          ...(args['camera-topic'] === undefined ? {} : { cameraTopic: args['camera-topic'] }),
          ...(args['joints-topic'] === undefined ? {} : { jointsTopic: args['joints-topic'] }),
          ...(args['action-topic'] === undefined ? {} : { actionTopic: args['action-topic'] }),
        });
      } finally {
        bar.stop();
        await loaded.policy.dispose();
      }
      const seconds = (performance.now() - started) / 1000;
      if (args.json) printJson({ ...report, seconds });
      else printReport(report, seconds);
    } catch (error) {
      fail(error);
    } finally {
      await bag.close();
    }
  },
};
