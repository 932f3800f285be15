// Replay: a recorded rosbag (camera, joints, and /grape/step or an action topic) → episodes in the
// index, each a new grape episode bag with the camera and joint messages copied as they are and
// /grape/step rewritten with features and untempered per-step log-likelihoods recomputed by the
// chosen policy. The bag is read once, in time order; steps are scored in batches.
import {
  timeFromNanoseconds,
  type CompressedImage,
  type Image,
  type JointState,
} from '../messages/ros-messages.js';
import type { Episode } from '../episode/episode-index.js';
import { EpisodeRecorder, type RecordedTopic } from '../episode/episode-recorder.js';
import { STEP_TOPIC, STEP_TYPE, type PolicyStep } from '../episode/policy-step.js';
import { BagFormatError } from './bag-errors.js';
import type { BagReader, BagTopic } from './bag-reader.js';
import { findSegments, type Segment, type SegmentBy } from './episode-segments.js';

const IMAGE_TYPES = new Set(['sensor_msgs/msg/Image', 'sensor_msgs/msg/CompressedImage']);
const JOINTS_TYPE = 'sensor_msgs/msg/JointState';
const ACTION_ARRAY_TYPE = 'std_msgs/msg/Float64MultiArray';

export interface ReplayObservation {
  image: Image | CompressedImage;
  joints: JointState;
}

export interface ReplayStep {
  observation: ReplayObservation;
  instruction: string;
  /** the executed token ids (D) */
  tokens: Int32Array;
}

/** What replay needs of a policy. */
export interface ReplayPolicy {
  /** checkpoint id, recorded as the replayed episodes' policy */
  readonly checkpointId: string;
  /** Encoder features of each step's observation and the untempered log-likelihood of its tokens. */
  score(steps: readonly ReplayStep[]): Promise<{ features: Float32Array[]; logp: Float32Array }>;
  /** Token ids of a continuous action, for bags that logged actions but no tokens. */
  tokenize(action: Float64Array): Int32Array;
}

export interface ReplayOptions {
  bag: BagReader;
  dataDir: string;
  policy: ReplayPolicy;
  instruction: string;
  /** default: the task a segment names, else 'replay' */
  taskId?: string;
  segmentBy: SegmentBy;
  /** defaults: the first image topic, the first joint state topic, /grape/step */
  cameraTopic?: string;
  jointsTopic?: string;
  actionTopic?: string;
  /** segmentBy gap: the pause that separates episodes (default 1 s) */
  gapNs?: bigint;
  /** steps scored per policy call (default 32) */
  batchSize?: number;
  /** messages read so far, of `total` */
  onProgress?: (done: number, total: number) => void;
}

export interface ReplayedEpisode {
  episode: Episode;
  steps: number;
  /** steps with flags === 0 */
  policySteps: number;
  /** steps before any camera frame or joint state: left out */
  stepsWithoutObservation: number;
  /** mean recomputed logp over the policy's own steps */
  meanLogp: number;
  /** mean |recomputed − logged| logp where the bag logged steps of this same policy */
  loggedLogpGap?: number;
}

export interface ReplayReport {
  episodes: ReplayedEpisode[];
  messagesRead: number;
  bytesRead: number;
}

interface SourceStep {
  time: bigint;
  header: PolicyStep['header'];
  tokens: Int32Array;
  action: Float64Array;
  flags: number;
  temperature: number;
  topK: number;
  /** the logged logp, when the bag logged this same policy's steps */
  loggedLogp?: number;
  image: Uint8Array;
  joints: Uint8Array;
}

function pickTopic(
  bag: BagReader,
  named: string | undefined,
  types: Set<string>,
  what: string,
  option: string,
): BagTopic {
  if (named) {
    const topic = bag.topic(named);
    if (!types.has(topic.type))
      throw new BagFormatError(`${named} is a ${topic.type}, not ${[...types].join(' or ')}`);
    return topic;
  }
  const found = bag.info.topics.find((t) => types.has(t.type) && t.messageCount > 0);
  if (!found)
    throw new BagFormatError(`${bag.info.path}: no ${what} topic with messages (name one with ${option})`);
  return found;
}

function recordedTopic(topic: BagTopic, camera: boolean): RecordedTopic {
  return { name: topic.name, type: topic.type, camera, ...(topic.qos[0] ? { qos: topic.qos[0] } : {}) };
}

class EpisodeReplay {
  readonly steps: SourceStep[] = [];
  /** the batch being scored */
  scoring: Promise<void> = Promise.resolve();
  count = 0;
  policySteps = 0;
  logpSum = 0;
  gapSum = 0;
  gapCount = 0;
  withoutObservation = 0;
  constructor(
    readonly segment: Segment,
    readonly instruction: string,
  ) {}
}

export async function replayBag(options: ReplayOptions): Promise<ReplayReport> {
  const { bag, policy } = options;
  const camera = pickTopic(
    bag,
    options.cameraTopic,
    IMAGE_TYPES,
    'camera (Image or CompressedImage)',
    '--camera-topic',
  );
  const joints = pickTopic(bag, options.jointsTopic, new Set([JOINTS_TYPE]), 'joint state', '--joints-topic');
  const actionName =
    options.actionTopic ?? (bag.info.topics.some((t) => t.name === STEP_TOPIC) ? STEP_TOPIC : undefined);
  if (!actionName) {
    throw new BagFormatError(
      `${bag.info.path}: no ${STEP_TOPIC}: name the action topic with --action-topic (${STEP_TYPE} or ${ACTION_ARRAY_TYPE})`,
    );
  }
  const action = pickTopic(
    bag,
    actionName,
    new Set([STEP_TYPE, ACTION_ARRAY_TYPE]),
    'action',
    '--action-topic',
  );
  const segments = await findSegments(bag, {
    by: options.segmentBy,
    gapTopic: action.name,
    ...(options.gapNs !== undefined ? { gapNs: options.gapNs } : {}),
  });

  const decodeImage = bag.decoder(camera.name) as (data: Uint8Array) => Image | CompressedImage;
  const decodeJoints = bag.decoder(joints.name) as (data: Uint8Array) => JointState;
  const decodeAction = bag.decoder(action.name);
  let writeError: Error | undefined;
  const recorder = await EpisodeRecorder.open({
    dataDir: options.dataDir,
    topics: [recordedTopic(camera, true), recordedTopic(joints, false)],
    camera: { rateHz: 0, downscale: 1 },
    recover: false,
    onError: (error) => (writeError = error),
  });
  // Replay waits for the disk instead of dropping, so a message not recorded means the bag failed.
  const recordingStopped = (topic: string) =>
    writeError ?? new Error(`replay could not record a message on ${topic}: the episode's bag stopped`);
  const report: ReplayReport = { episodes: [], messagesRead: 0, bytesRead: 0 };
  const total = camera.messageCount + joints.messageCount + action.messageCount;
  const batchSize = options.batchSize ?? 32;

  // The observation a step sees: the latest frame and joint state at or before it.
  const decoded = new WeakMap<Uint8Array, unknown>();
  const once = <T>(data: Uint8Array, decode: (d: Uint8Array) => T): T => {
    if (!decoded.has(data)) decoded.set(data, decode(data));
    return decoded.get(data) as T;
  };

  const score = async (replay: EpisodeReplay, batch: SourceStep[]) => {
    if (batch.length === 0) return;
    const { features, logp } = await policy.score(
      batch.map((s) => ({
        observation: { image: once(s.image, decodeImage), joints: once(s.joints, decodeJoints) },
        instruction: replay.instruction,
        tokens: s.tokens,
      })),
    );
    batch.forEach((s, i) => {
      const lp = logp[i]!;
      const recorded = recorder.step(
        {
          header: s.header,
          step: replay.count++,
          policy_id: policy.checkpointId,
          tokens: s.tokens,
          action: s.action,
          logp: lp,
          logp_dims: new Float32Array(0),
          temperature: s.temperature,
          top_k: s.topK,
          flags: s.flags,
          features: features[i]!,
        },
        s.time,
      );
      if (!recorded) throw recordingStopped(STEP_TOPIC);
      if (s.flags === 0) {
        replay.policySteps++;
        replay.logpSum += lp;
      }
      if (s.loggedLogp !== undefined) {
        replay.gapSum += Math.abs(lp - s.loggedLogp);
        replay.gapCount++;
      }
    });
  };

  // One batch is scored while the next is read: the encoder runs on its own thread.
  const scoreNext = async (replay: EpisodeReplay) => {
    const batch = replay.steps.splice(0);
    await replay.scoring;
    replay.scoring = score(replay, batch);
    replay.scoring.catch(() => undefined); // its error surfaces where it is awaited
  };

  const finish = async (replay: EpisodeReplay) => {
    await scoreNext(replay);
    await replay.scoring;
    const end = replay.segment;
    const episode = await recorder.endEpisode(
      {
        ...(end.outcome ? { outcome: end.outcome } : {}),
        notes: end.notes ?? `replayed from ${bag.info.path}`,
      },
      end.end,
    );
    const entry: ReplayedEpisode = {
      episode,
      steps: replay.count,
      policySteps: replay.policySteps,
      stepsWithoutObservation: replay.withoutObservation,
      meanLogp: replay.policySteps > 0 ? replay.logpSum / replay.policySteps : Number.NaN,
    };
    if (replay.gapCount > 0) entry.loggedLogpGap = replay.gapSum / replay.gapCount;
    report.episodes.push(entry);
  };

  let latestImage: Uint8Array | undefined;
  let latestJoints: Uint8Array | undefined;
  let next = 0;
  let active: EpisodeReplay | undefined;
  try {
    for await (const m of bag.messages({ topics: [camera.name, joints.name, action.name] })) {
      report.messagesRead++;
      report.bytesRead += m.data.byteLength;
      if (report.messagesRead % 256 === 0) options.onProgress?.(report.messagesRead, total);
      while (next < segments.length && m.logTime > segments[next]!.end) {
        if (active) await finish(active);
        active = undefined;
        next++;
      }
      const segment = segments[next];
      if (!segment) break;
      if (m.topic === camera.name) latestImage = m.data;
      if (m.topic === joints.name) latestJoints = m.data;
      if (m.logTime < segment.start) continue;
      if (!active) {
        active = new EpisodeReplay(segment, segment.instruction ?? options.instruction);
        await recorder.startEpisode(
          {
            taskId: options.taskId ?? segment.taskId ?? 'replay',
            instruction: active.instruction,
            policyId: policy.checkpointId,
            source: 'replay',
            sourceBag: bag.info.path,
          },
          segment.start,
        );
      }
      if (m.topic !== action.name) {
        await recorder.waitForDisk();
        if (!recorder.record(m.topic, m.data, m.logTime)) throw recordingStopped(m.topic);
        continue;
      }
      if (!latestImage || !latestJoints) {
        active.withoutObservation++;
        continue;
      }
      active.steps.push(
        sourceStep(m.logTime, decodeAction(m.data), action.type, policy, latestImage, latestJoints),
      );
      if (active.steps.length >= batchSize) await scoreNext(active);
    }
    if (active) await finish(active);
    options.onProgress?.(report.messagesRead, total);
  } catch (error) {
    await recorder.close(`replay failed: ${(error as Error).message}`);
    throw error;
  }
  await recorder.close();
  return report;
}

function sourceStep(
  time: bigint,
  message: unknown,
  type: string,
  policy: ReplayPolicy,
  image: Uint8Array,
  joints: Uint8Array,
): SourceStep {
  if (type === STEP_TYPE) {
    const s = message as PolicyStep;
    const step: SourceStep = {
      time,
      header: s.header,
      tokens: Int32Array.from(s.tokens),
      action: Float64Array.from(s.action),
      flags: s.flags,
      temperature: s.temperature,
      topK: s.top_k,
      image,
      joints,
    };
    if (s.policy_id === policy.checkpointId) step.loggedLogp = s.logp;
    return step;
  }
  // Float64MultiArray: a continuous action without tokens; they are quantized by the policy.
  const values = Float64Array.from((message as { data: ArrayLike<number> }).data);
  return {
    time,
    header: { stamp: timeFromNanoseconds(time), frame_id: '' },
    tokens: policy.tokenize(values),
    action: values,
    flags: 0,
    temperature: 0,
    topK: 0,
    image,
    joints,
  };
}
