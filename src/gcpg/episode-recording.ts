// What scoring needs from a recorded episode's bag: the policy steps (log-likelihood and flags, for
// R_self), the trajectory's signals, and the first camera frame (for the VLM). Signals come from the
// simulator's per-step records when the bag has them, else from the robot topics a RobotSignalConfig
// names, read from the episode's bag or, for a replayed episode, from the bag it was replayed from.
import { BagReader } from '../bag/bag-reader.js';
import { STEP_TOPIC, type PolicyStep } from '../episode/policy-step.js';
import type { CompressedImage, Image, JointState, PoseStamped } from '../messages/ros-messages.js';
import type { CameraIntrinsics } from './depth-pixel-lifter.js';
import type { RobotSignalConfig } from './robot-signal-config.js';
import {
  robotTrajectorySignals,
  type RobotLogStreams,
  type Timed,
  type WrenchStamped,
} from './robot-trajectory-signals.js';
import { decodeSimSignals, SIM_SIGNALS_TOPIC } from './sim-signals-record.js';
import { simTrajectorySignals } from './sim-trajectory-signals.js';
import type { PolicyStepLogp } from './trajectory-scorer.js';
import type { TrajectorySignals } from './trajectory-signals.js';

const IMAGE_TYPES = new Set(['sensor_msgs/msg/Image', 'sensor_msgs/msg/CompressedImage']);

export interface EpisodeRecording {
  policySteps: PolicyStepLogp[];
  /** ns since epoch, one per policy step */
  stepTimes: bigint[];
  signals?: TrajectorySignals;
  /** why there are no signals */
  signalsMissing?: string;
  firstImage?: Image | CompressedImage;
}

export interface EpisodeRecordingOptions {
  /** the bag a replayed episode came from: robot topics the episode bag lacks are read there */
  sourceBag?: string;
  robotConfig?: RobotSignalConfig;
}

async function readTopic<T>(bag: BagReader, topic: string, until?: bigint): Promise<Timed<T>[]> {
  const out: Timed<T>[] = [];
  for await (const m of bag.decoded<T>({ topics: [topic] })) {
    if (until === undefined || m.logTime <= until) out.push({ time: m.logTime, message: m.message });
  }
  return out;
}

async function firstMessage<T>(bag: BagReader, topic: string): Promise<T | undefined> {
  for await (const m of bag.decoded<T>({ topics: [topic] })) return m.message;
  return undefined;
}

const hasTopic = (bag: BagReader, topic: string) =>
  bag.info.topics.some((t) => t.name === topic && t.messageCount > 0);

export async function readEpisodeRecording(
  bagPath: string,
  options: EpisodeRecordingOptions = {},
): Promise<EpisodeRecording> {
  const bag = await BagReader.open(bagPath);
  let source: BagReader | undefined;
  try {
    const recording: EpisodeRecording = { policySteps: [], stepTimes: [] };
    if (hasTopic(bag, STEP_TOPIC)) {
      for (const { time, message } of await readTopic<PolicyStep>(bag, STEP_TOPIC)) {
        recording.policySteps.push({ logp: message.logp, flags: message.flags });
        recording.stepTimes.push(time);
      }
    }
    const camera = bag.info.topics.find((t) => IMAGE_TYPES.has(t.type) && t.messageCount > 0);
    if (camera) {
      const image = await firstMessage<Image | CompressedImage>(bag, camera.name);
      if (image) recording.firstImage = image;
    }

    if (hasTopic(bag, SIM_SIGNALS_TOPIC)) {
      const records = (await readTopic<{ data: string }>(bag, SIM_SIGNALS_TOPIC)).map((m, i) =>
        decodeSimSignals(m.message.data, `${bagPath}: ${SIM_SIGNALS_TOPIC} message ${i}`),
      );
      recording.signals = simTrajectorySignals(
        records.map((r) => r.signals),
        records[0]!.roles,
        `simulator records in ${bagPath}`,
      );
      return recording;
    }
    const config = options.robotConfig;
    if (!config) {
      recording.signalsMissing = `${bagPath} has no ${SIM_SIGNALS_TOPIC}, and no robot signal configuration was given (--signals)`;
      return recording;
    }
    if (options.sourceBag !== undefined) source = await BagReader.open(options.sourceBag);
    const until = recording.stepTimes.at(-1);
    const where = (topic: string, what: string): BagReader => {
      if (hasTopic(bag, topic)) return bag;
      if (source && hasTopic(source, topic)) return source;
      const places = source ? `${bagPath} nor in its source bag ${options.sourceBag}` : bagPath;
      throw new Error(`${what} topic ${topic} has no messages in ${places}`);
    };
    const read = async <T>(topic: string, what: string) => readTopic<T>(where(topic, what), topic, until);

    const eePoses = await read<PoseStamped>(config.eePose.topic, 'eePose');
    const streams: RobotLogStreams = {
      sampleTimes: recording.stepTimes.length > 0 ? recording.stepTimes : eePoses.map((m) => m.time),
      eePoses,
    };
    if (config.gripper) streams.joints = await read<JointState>(config.gripper.topic, 'gripper');
    if (config.contacts) streams.wrenches = await read<WrenchStamped>(config.contacts.topic, 'contacts');
    const objectPoses: Record<string, Timed<PoseStamped>[]> = {};
    for (const [name, object] of Object.entries(config.objects ?? {})) {
      if ('topic' in object) objectPoses[name] = await read<PoseStamped>(object.topic, `objects.${name}`);
    }
    streams.objectPoses = objectPoses;
    if (config.camera) {
      const image = await firstMessage<Image>(
        where(config.camera.depthTopic, 'camera.depth'),
        config.camera.depthTopic,
      );
      const info = await firstMessage<CameraIntrinsics>(
        where(config.camera.infoTopic, 'camera.info'),
        config.camera.infoTopic,
      );
      if (image && info) streams.depth = { image, intrinsics: info };
    }
    recording.signals = robotTrajectorySignals(streams, config, `robot topics of ${bagPath}`);
    return recording;
  } finally {
    await bag.close();
    await source?.close();
  }
}
