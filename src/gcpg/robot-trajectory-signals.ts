// A robot's logged topics as TrajectorySignals, sampled at the policy's control steps: the latest
// end-effector pose, gripper joint state, wrench and object poses at or before each step. The gripper's
// state comes from its opening width (closed below a threshold, empty below a smaller one); what it
// holds is not observed. Contacts come from a wrist force-torque sensor and cannot say what was touched.
import type { Image, JointState, PoseStamped, Vector3 } from '../messages/ros-messages.js';
import type { Vec3 } from './cost-spec.js';
import { DepthPixelLifter, type CameraIntrinsics } from './depth-pixel-lifter.js';
import type { RobotSignalConfig } from './robot-signal-config.js';
import type { ContactSample, GripperSample, SignalSample, TrajectorySignals } from './trajectory-signals.js';

/** geometry_msgs/WrenchStamped, the part contacts need. */
export interface WrenchStamped {
  wrench: { force: Vector3; torque: Vector3 };
}

export interface Timed<T> {
  /** log time, ns since epoch */
  time: bigint;
  message: T;
}

export interface RobotLogStreams {
  /** when to sample, ns since epoch, ascending (the policy steps' log times) */
  sampleTimes: readonly bigint[];
  eePoses: readonly Timed<PoseStamped>[];
  joints?: readonly Timed<JointState>[];
  wrenches?: readonly Timed<WrenchStamped>[];
  objectPoses?: Readonly<Record<string, readonly Timed<PoseStamped>[]>>;
  /** the first depth frame and the camera's intrinsics, for pixel keypoints */
  depth?: { image: Image; intrinsics: CameraIntrinsics };
}

/** The latest message at or before each time (undefined before the first), for ascending times. */
function sampleAt<T>(stream: readonly Timed<T>[], times: readonly bigint[]): (T | undefined)[] {
  let k = -1;
  return times.map((t) => {
    while (k + 1 < stream.length && stream[k + 1]!.time <= t) k++;
    return k >= 0 ? stream[k]!.message : undefined;
  });
}

function position(pose: PoseStamped): Vec3 {
  const p = pose.pose.position;
  return [p.x, p.y, p.z];
}

function sorted<T>(stream: readonly Timed<T>[]): Timed<T>[] {
  return [...stream].sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
}

function gripperSamples(
  stream: readonly Timed<JointState>[],
  gripper: NonNullable<RobotSignalConfig['gripper']>,
  times: readonly bigint[],
  source: string,
): GripperSample[] {
  if (stream.length === 0) throw new Error(`${source}: no joint state on ${gripper.topic}`);
  const ordered = sorted(stream);
  // Before the first joint state, the first one stands in (the gripper does not move that fast).
  return sampleAt(ordered, times).map((state = ordered[0]!.message) => {
    const width = gripper.joints.reduce((sum, joint) => {
      const j = state.name.indexOf(joint);
      const p = j < 0 ? undefined : state.position[j];
      if (p === undefined)
        throw new Error(`${source}: the joint states on ${gripper.topic} have no position of ${joint}`);
      return sum + p;
    }, 0);
    const closed = width < gripper.closedBelow;
    return { closed, width, holding: closed && width >= gripper.emptyBelow };
  });
}

const magnitude = (v: Vector3) => Math.hypot(v.x, v.y, v.z);

/** A contact wherever the wrist force departs from its first reading (the sensor's bias) by the threshold. */
function contactSamples(
  stream: readonly Timed<WrenchStamped>[],
  contacts: NonNullable<RobotSignalConfig['contacts']>,
  times: readonly bigint[],
  source: string,
): ContactSample[][] {
  if (stream.length === 0) throw new Error(`${source}: no wrench on ${contacts.topic}`);
  const ordered = sorted(stream);
  const bias = ordered[0]!.message.wrench.force;
  const excess = (w: WrenchStamped) => {
    const f = w.wrench.force;
    return magnitude({ x: f.x - bias.x, y: f.y - bias.y, z: f.z - bias.z });
  };
  let k = 0;
  let latest: WrenchStamped | undefined;
  return times.map((t) => {
    // The largest force since the previous sample, or the latest reading when none arrived in between.
    let force = latest ? excess(latest) : 0;
    let arrived = false;
    while (k < ordered.length && ordered[k]!.time <= t) {
      latest = ordered[k]!.message;
      force = arrived ? Math.max(force, excess(latest)) : excess(latest);
      arrived = true;
      k++;
    }
    return force > contacts.forceThreshold ? [{ other: '', class: 'unclassified' as const, force }] : [];
  });
}

export function robotTrajectorySignals(
  streams: RobotLogStreams,
  config: RobotSignalConfig,
  source: string,
): TrajectorySignals {
  const checkFrame = (pose: PoseStamped, what: string) => {
    if (config.frame !== undefined && pose.header.frame_id !== config.frame) {
      throw new Error(
        `${source}: ${what} is in frame "${pose.header.frame_id}", not "${config.frame}" (grape does not transform frames)`,
      );
    }
  };
  if (streams.eePoses.length === 0)
    throw new Error(`${source}: no end-effector pose on ${config.eePose.topic}`);
  // Samples before the first pose have no end effector: they are left out.
  const firstPose = streams.eePoses.reduce((t, m) => (m.time < t ? m.time : t), streams.eePoses[0]!.time);
  const times = streams.sampleTimes.filter((t) => t >= firstPose);
  if (times.length === 0) throw new Error(`${source}: every step precedes the first end-effector pose`);
  const ee = sampleAt(sorted(streams.eePoses), times);

  const grippers = config.gripper
    ? gripperSamples(streams.joints ?? [], config.gripper, times, source)
    : undefined;
  const contacts = config.contacts
    ? contactSamples(streams.wrenches ?? [], config.contacts, times, source)
    : undefined;

  const tracked: [string, (PoseStamped | undefined)[]][] = [];
  const staticPoints: Record<string, Vec3> = {};
  for (const [name, object] of Object.entries(config.objects ?? {})) {
    if ('position' in object) {
      staticPoints[name] = [...object.position];
      continue;
    }
    const stream = streams.objectPoses?.[name] ?? [];
    if (stream.length === 0) throw new Error(`${source}: no pose of ${name} on ${object.topic}`);
    tracked.push([name, sampleAt(sorted(stream), times)]);
  }

  const t0 = times[0]!;
  const samples = times.map((t, i): SignalSample => {
    const pose = ee[i]!;
    checkFrame(pose, `the end-effector pose on ${config.eePose.topic}`);
    const objects: Record<string, Vec3> = {};
    for (const [name, poses] of tracked) {
      const p = poses[i];
      if (!p) continue;
      checkFrame(p, `the pose of ${name}`);
      objects[name] = position(p);
    }
    return {
      time: Number(t - t0) / 1e9,
      ee: position(pose),
      ...(grippers ? { gripper: grippers[i]! } : {}),
      objects,
      ...(contacts ? { contacts: contacts[i]! } : {}),
    };
  });

  return {
    source,
    samples,
    roles: { ...config.roles },
    staticPoints,
    tableHeight: config.tableHeight ?? 0,
    contactsClassified: false,
    ...(streams.depth && config.camera
      ? {
          pixelLifter: new DepthPixelLifter(
            streams.depth.image,
            streams.depth.intrinsics,
            config.camera.extrinsics,
          ),
        }
      : {}),
  };
}
