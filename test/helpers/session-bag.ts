// A recorded robot session as one MCAP bag, for replay tests: camera (96×96 rgb8, 10 Hz), Panda
// joint states (50 Hz), /grape/step (5 Hz) during each episode, grape's episode events, and ROS 2
// service introspection events of start_episode / end_episode, with a pause between episodes.
import { MessageWriter } from '@foxglove/rosmsg2-serialization';

import { knownType, parseSchema } from '../../src/bag/message-definitions.js';
import { serializeQosProfiles, RELIABLE_QOS } from '../../src/bag/qos-profile.js';
import { McapBagWriter } from '../../src/episode/mcap-bag-writer.js';
import { StepFlag, type PolicyStep } from '../../src/episode/policy-step.js';
import { timeFromNanoseconds, type Image, type JointState } from '../../src/messages/ros-messages.js';
import { DEFAULT_BINS } from '../../src/policy/default-model/default-model.js';
import { PANDA_JOINT_NAMES } from '../../src/policy/default-model/panda-kinematics.js';

export interface SessionEpisode {
  /** s after the session start */
  start: number;
  end: number;
  outcome: 'success' | 'failure';
  instruction: string;
}

export interface SessionBag {
  path: string;
  /** the steps written, in order (logged logp 0: a replay recomputes it) */
  steps: { time: bigint; tokens: Int32Array; action: Float64Array; flags: number }[];
}

export const SESSION_T0 = 1_764_000_000_000_000_000n;

const START_SRV = 'string task_id\nstring instruction\n---\nbool accepted';
const END_SRV = 'string outcome\nstring notes\n---\nbool accepted';

export function sessionImage(t: bigint, i: number): Image {
  const width = 96;
  const height = 96;
  const data = new Uint8Array(width * height * 3);
  for (let p = 0; p < data.length; p++) data[p] = ((p % 288) + i * 17 + (p / 288) * 2) & 0xff;
  return {
    header: { stamp: timeFromNanoseconds(t), frame_id: 'cam' },
    height,
    width,
    encoding: 'rgb8',
    is_bigendian: 0,
    step: width * 3,
    data,
  };
}

export function sessionJoints(t: bigint, i: number): JointState {
  return {
    header: { stamp: timeFromNanoseconds(t), frame_id: '' },
    name: PANDA_JOINT_NAMES,
    position: Float64Array.from(PANDA_JOINT_NAMES, (_, j) => (j < 7 ? 0.3 * Math.sin(i / 10 + j) : 0.02)),
    velocity: new Float64Array(0),
    effort: new Float64Array(0),
  };
}

/** Writes the session; `policyId` names the policy that (notionally) ran it. */
export async function writeSessionBag(
  path: string,
  episodes: SessionEpisode[],
  options: {
    policyId: string;
    /** the continuous action logged with tokens (default: bin centres in [-1, 1]) */
    actionOf?: (tokens: Int32Array) => Float64Array;
    actionsAsArray?: boolean;
    withServices?: boolean;
    cameraFromMs?: number;
  },
): Promise<SessionBag> {
  const writer = await McapBagWriter.create(
    path,
    { compression: 'zstd', chunkSize: 64 << 10, chunkMaxAgeMs: 60_000, library: 'test' },
    (e) => {
      throw e;
    },
  );
  const qos = new Map([['offered_qos_profiles', serializeQosProfiles([RELIABLE_QOS])]]);
  const channel = (topic: string, type: string, schema: string) =>
    writer.addChannel(topic, writer.addSchema(type, 'ros2msg', new TextEncoder().encode(schema)), 'cdr', qos);
  const known = (topic: string, type: string) => ({
    id: channel(topic, type, knownType(type).schema),
    writer: new MessageWriter(knownType(type).definitions),
  });
  const camera = known('/camera/image_raw', 'sensor_msgs/msg/Image');
  const joints = known('/joint_states', 'sensor_msgs/msg/JointState');
  const steps = options.actionsAsArray
    ? known('/action', 'std_msgs/msg/Float64MultiArray')
    : known('/grape/step', 'grape/msg/PolicyStep');
  const events = known('/grape/episode_event', 'grape/msg/EpisodeEvent');
  const service = (name: string, text: string) => {
    const type = `grape/srv/${name}_Event`;
    return {
      id: channel(
        `/grape_policy/${name.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase()}/_service_event`,
        type,
        text,
      ),
      writer: new MessageWriter(parseSchema(type, text)),
    };
  };
  const startSrv = options.withServices ? service('StartEpisode', START_SRV) : undefined;
  const endSrv = options.withServices ? service('EndEpisode', END_SRV) : undefined;

  const written: SessionBag['steps'] = [];
  const last = Math.max(...episodes.map((e) => e.end)) + 1;
  const put = (ch: { id: number; writer: MessageWriter }, t: bigint, message: unknown) => {
    writer.addMessage(ch.id, t, ch.writer.writeMessage(message));
  };
  const serviceEvent = (
    ch: { id: number; writer: MessageWriter },
    t: bigint,
    seq: number,
    request: object,
  ) => {
    const gid = new Uint8Array(16).fill(seq);
    // The client's REQUEST_SENT and the server's REQUEST_RECEIVED of one call, then the response.
    for (const [kind, dt] of [
      [0, 0n],
      [1, 100_000n],
      [2, 200_000n],
    ] as const) {
      put(ch, t + dt, {
        info: {
          event_type: kind,
          stamp: timeFromNanoseconds(t + dt),
          client_gid: gid,
          sequence_number: BigInt(seq),
        },
        request: kind < 2 ? [request] : [],
        response: kind === 2 ? [{ accepted: true }] : [],
      });
    }
  };

  let stepIndex = 0;
  for (let ms = 0; ms < last * 1000; ms += 10) {
    const t = SESSION_T0 + BigInt(ms) * 1_000_000n;
    const i = ms / 10;
    const episode = episodes.find((e) => ms >= e.start * 1000 && ms <= e.end * 1000);
    if (ms % 100 === 0 && ms >= (options.cameraFromMs ?? 0)) put(camera, t, sessionImage(t, i));
    if (ms % 20 === 0) put(joints, t + 1n, sessionJoints(t + 1n, i));
    episodes.forEach((e, k) => {
      if (ms === e.start * 1000) {
        if (startSrv)
          serviceEvent(startSrv, t - 2_000_000n, k + 1, { task_id: `task-${k}`, instruction: e.instruction });
        put(events, t, {
          header: { stamp: timeFromNanoseconds(t), frame_id: '' },
          episode_id: `src-${k}`,
          kind: 'start',
          detail: JSON.stringify({ task_id: `task-${k}`, instruction: e.instruction }),
        });
      }
      if (ms === e.end * 1000) {
        put(events, t + 5_000_000n, {
          header: { stamp: timeFromNanoseconds(t), frame_id: '' },
          episode_id: `src-${k}`,
          kind: 'end',
          detail: JSON.stringify({ outcome: e.outcome }),
        });
        if (endSrv) serviceEvent(endSrv, t + 6_000_000n, k + 1, { outcome: e.outcome, notes: '' });
      }
    });
    if (episode && ms % 200 === 50 && ms <= episode.end * 1000 - 100) {
      const ts = t + 2_000_000n;
      // Token ids of the default model, which the replay tests score the session with.
      const tokens = Int32Array.from({ length: 7 }, (_, d) => (i * 31 + d * 57) % DEFAULT_BINS);
      const action =
        options.actionOf?.(tokens) ??
        Float64Array.from(tokens, (tok) => (2 * (tok + 0.5)) / DEFAULT_BINS - 1);
      const flags = stepIndex % 9 === 4 ? StepFlag.HOLD : 0;
      written.push({ time: ts, tokens, action, flags });
      if (options.actionsAsArray) {
        put(steps, ts, { layout: { dim: [], data_offset: 0 }, data: action });
      } else {
        const step: PolicyStep = {
          header: { stamp: timeFromNanoseconds(ts), frame_id: '' },
          step: stepIndex,
          policy_id: options.policyId,
          tokens,
          action,
          logp: 0,
          logp_dims: new Float32Array(0),
          temperature: 1,
          top_k: 0,
          flags,
          features: new Float32Array(0),
        };
        put(steps, ts, step);
      }
      stepIndex++;
    }
  }
  await writer.close();
  return { path, steps: written };
}
