// Signals for scoring from every source: the simulator's per-step records (serialized and read back),
// a robot's logged topics (end-effector pose, gripper joints, wrist wrench, object poses, fixed
// keypoints) sampled at the policy's steps, pixel keypoints lifted with depth, intrinsics and
// extrinsics, and whole recorded episodes read from their bags (or, replayed, from their source bags).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { CostEvaluator } from '../src/gcpg/cost-evaluator.js';
import type { CostSpec } from '../src/gcpg/cost-spec.js';
import { DepthPixelLifter, type CameraIntrinsics } from '../src/gcpg/depth-pixel-lifter.js';
import { readEpisodeRecording } from '../src/gcpg/episode-recording.js';
import {
  checkRobotSignalConfig,
  loadRobotSignalConfig,
  type RobotSignalConfig,
} from '../src/gcpg/robot-signal-config.js';
import {
  robotTrajectorySignals,
  type RobotLogStreams,
  type WrenchStamped,
} from '../src/gcpg/robot-trajectory-signals.js';
import {
  decodeSimSignals,
  encodeSimSignals,
  SIM_SIGNALS_TOPIC,
  SIM_SIGNALS_TYPE,
} from '../src/gcpg/sim-signals-record.js';
import { simTrajectorySignals } from '../src/gcpg/sim-trajectory-signals.js';
import { EpisodeRecorder } from '../src/episode/episode-recorder.js';
import type { PolicyStep } from '../src/episode/policy-step.js';
import {
  timeFromNanoseconds,
  type Image,
  type JointState,
  type Pose,
  type PoseStamped,
} from '../src/messages/ros-messages.js';
import type { StepSignals } from '../src/sim/step-signals.js';
import type { TaskRoles } from '../src/sim/task-spec.js';

const scratch = mkdtempSync(join(tmpdir(), 'gcpg-signals-'));
after(() => {
  rmSync(scratch, { recursive: true, force: true });
});

const T0 = 1_764_000_000_000_000_000n;
const MS = 1_000_000n;
const header = (t: bigint, frame = 'base') => ({ stamp: timeFromNanoseconds(t), frame_id: frame });
const pose = (t: bigint, x: number, y: number, z: number, frame = 'base'): PoseStamped => ({
  header: header(t, frame),
  pose: { position: { x, y, z }, orientation: { x: 0, y: 0, z: 0, w: 1 } },
});
const fingers = (t: bigint, each: number): JointState => ({
  header: header(t),
  name: ['joint1', 'finger_left', 'finger_right'],
  position: [0.3, each, each],
  velocity: [0, 0, 0],
  effort: [0, 0, 0],
});
const wrench = (fz: number): WrenchStamped => ({
  wrench: { force: { x: 0.5, y: 0, z: fz }, torque: { x: 0, y: 0, z: 0 } },
});

function simStep(step: number, grasped: string | null, x: number, contact = false): StepSignals {
  return {
    step,
    time: step / 10,
    ee: { position: [x, 0, 0.2], orientation: [0, 1, 0, 0] },
    gripper: { command: grasped ? 'close' : 'open', width: grasped ? 0.045 : 0.08, grasped },
    objects: { red_cube: { position: [x, 0, 0.0225], orientation: [1, 0, 0, 0], velocity: [0.01, 0, 0] } },
    fixtures: { green_plate: { position: [0.5, 0.2, 0], orientation: [1, 0, 0, 0] } },
    contacts: contact
      ? [{ link: 'left_finger', other: 'blue_cylinder', kind: 'object', target: false, force: 3.5 }]
      : [],
    pathLength: x,
  };
}

const ROLES: TaskRoles = {
  target: 'red_cube',
  destination: 'green_plate',
  obstacles: [],
  distractors: ['blue_cylinder'],
};

describe('simulator signals', () => {
  it('carry object and fixture poses, velocities, gripper and classified contacts', () => {
    const signals = simTrajectorySignals([simStep(0, null, 0.4), simStep(1, 'red_cube', 0.45, true)], ROLES);
    assert.deepEqual(signals.roles, { target: 'red_cube', destination: 'green_plate' });
    assert.equal(signals.contactsClassified, true);
    const s = signals.samples[1]!;
    assert.deepEqual(s.objects, { green_plate: [0.5, 0.2, 0], red_cube: [0.45, 0, 0.0225] });
    assert.deepEqual(s.velocities!.red_cube, [0.01, 0, 0]);
    assert.deepEqual(s.gripper, { closed: true, width: 0.045, grasped: 'red_cube', holding: true });
    assert.deepEqual(s.contacts, [{ other: 'blue_cylinder', class: 'object', force: 3.5 }]);
    assert.equal(s.time, 0.1);
  });

  it('round-trip through their per-step JSON records, and a damaged record names itself', () => {
    const step = simStep(3, 'red_cube', 0.5, true);
    assert.deepEqual(decodeSimSignals(encodeSimSignals(step, ROLES), 'm0'), {
      format: 'grape-sim-signals/1',
      roles: ROLES,
      signals: step,
    });
    assert.throws(
      () => decodeSimSignals('{"format": "grape-sim-signals/1", "roles"', 'bag: message 7'),
      /bag: message 7: not a grape-sim-signals\/1 record \(not JSON/,
    );
    const wrong = JSON.parse(encodeSimSignals(step, ROLES)) as { signals: { gripper: { width: unknown } } };
    wrong.signals.gripper.width = 'wide';
    assert.throws(
      () => decodeSimSignals(JSON.stringify(wrong), 'message 2'),
      /message 2: not a grape-sim-signals\/1 record \(signals\.gripper\.width must be number\)/,
    );
  });
});

describe('DepthPixelLifter', () => {
  // A camera 1 m above the table at (0.5, 0, 1), looking straight down: optical x = world x, y = −y, z = −z.
  const extrinsics: Pose = { position: { x: 0.5, y: 0, z: 1 }, orientation: { x: 1, y: 0, z: 0, w: 0 } };
  const intrinsics: CameraIntrinsics = { width: 100, height: 80, k: [100, 0, 49.5, 0, 100, 39.5, 0, 0, 1] };

  function depthImage(encoding: '32FC1' | '16UC1', metres: (x: number, y: number) => number): Image {
    const bytes = encoding === '32FC1' ? 4 : 2;
    const data = new Uint8Array(100 * 80 * bytes);
    const view = new DataView(data.buffer);
    for (let y = 0; y < 80; y++) {
      for (let x = 0; x < 100; x++) {
        const d = metres(x, y);
        if (encoding === '32FC1') view.setFloat32((y * 100 + x) * 4, d, true);
        else view.setUint16((y * 100 + x) * 2, Math.round(d * 1000), true);
      }
    }
    return {
      header: header(T0, 'camera'),
      height: 80,
      width: 100,
      encoding,
      is_bigendian: 0,
      step: 100 * bytes,
      data,
    };
  }

  it('lifts a normalized pixel to the world point the camera sees there', () => {
    // (0.6, 0.1, 0) on the table projects to pixel (59.5, 29.5): u = 60 / 100, v = 30 / 80.
    const lifter = new DepthPixelLifter(
      depthImage('32FC1', () => 1),
      intrinsics,
      extrinsics,
    );
    const p = lifter.lift(0.6, 0.375);
    [0.6, 0.1, 0].forEach((v, i) => {
      assert.ok(Math.abs(p[i]! - v) < 1e-9, p.join(', '));
    });
    // Millimetre depth, with holes (0) and an outlier near the pixel: the median of valid readings.
    const noisy = depthImage('16UC1', (x, y) => (x === 60 && y === 30 ? 0 : x === 61 && y === 30 ? 3 : 0.8));
    const q = new DepthPixelLifter(noisy, intrinsics, extrinsics).lift(0.6, 0.375);
    [0.5 + 0.08, 0.08, 0.2].forEach((v, i) => {
      assert.ok(Math.abs(q[i]! - v) < 1e-6, q.join(', '));
    });
  });

  it('refuses no depth, mismatched intrinsics and a bad rotation, saying which', () => {
    const empty = new DepthPixelLifter(
      depthImage('32FC1', () => 0),
      intrinsics,
      extrinsics,
    );
    assert.throws(() => empty.lift(0.5, 0.5), /no valid depth around \(u 0\.5, v 0\.5\) = pixel \(50, 40\)/);
    assert.throws(
      () =>
        new DepthPixelLifter(
          depthImage('32FC1', () => 1),
          { ...intrinsics, width: 640 },
          extrinsics,
        ),
      /intrinsics are for 640×80 images, the depth image is 100×80/,
    );
    assert.throws(
      () =>
        new DepthPixelLifter(
          depthImage('32FC1', () => 1),
          intrinsics,
          { ...extrinsics, orientation: { x: 1, y: 1, z: 0, w: 0 } },
        ),
      /not a unit quaternion/,
    );
    assert.throws(
      () =>
        new DepthPixelLifter({ ...depthImage('32FC1', () => 1), encoding: 'rgb8' }, intrinsics, extrinsics),
      /depth image: unsupported encoding 'rgb8'/,
    );
  });
});

const CONFIG: RobotSignalConfig = checkRobotSignalConfig(
  {
    frame: 'base',
    tableHeight: 0.01,
    eePose: { topic: '/ee_pose' },
    gripper: {
      topic: '/joint_states',
      joints: ['finger_left', 'finger_right'],
      closedBelow: 0.07,
      emptyBelow: 0.005,
    },
    contacts: { topic: '/wrench', forceThreshold: 5 },
    objects: { cube: { topic: '/cube_pose' }, bin: { position: [0.6, -0.2, 0.01] } },
    roles: { target: 'cube', destination: 'bin' },
  },
  'test config',
);

describe('robot log signals', () => {
  // Steps at 0, 100, …, 400 ms; poses from 50 ms on; the gripper closes on the cube at 200 ms.
  const streams = (): RobotLogStreams => ({
    sampleTimes: [0n, 100n, 200n, 300n, 400n].map((ms) => T0 + ms * MS),
    eePoses: [50, 100, 150, 200, 250, 300, 350, 400].map((ms) => ({
      time: T0 + BigInt(ms) * MS,
      message: pose(T0, ms / 1000, 0, 0.05),
    })),
    joints: [0, 100, 200, 300, 400].map((ms) => ({
      time: T0 + BigInt(ms) * MS,
      message: fingers(T0, ms >= 200 ? 0.02 : 0.04),
    })),
    wrenches: [0, 10, 150, 160, 170, 300].map((ms, i) => ({
      time: T0 + BigInt(ms) * MS,
      message: wrench([-2, -2, -2, -12, -3, -2][i]!),
    })),
    objectPoses: { cube: [{ time: T0 + 90n * MS, message: pose(T0, 0.2, 0, 0.03) }] },
  });

  it('samples the latest messages at each step, from the first end-effector pose on', () => {
    const signals = robotTrajectorySignals(streams(), CONFIG, 'robot log');
    assert.equal(signals.samples.length, 4, 'the step before the first pose is left out');
    assert.deepEqual(
      signals.samples.map((s) => s.time),
      [0, 0.1, 0.2, 0.3],
    );
    assert.deepEqual(
      signals.samples.map((s) => s.ee[0]),
      [0.1, 0.2, 0.3, 0.4],
    );
    assert.deepEqual(
      signals.samples.map((s) => s.gripper),
      [
        { closed: false, width: 0.08, holding: false },
        { closed: true, width: 0.04, holding: true },
        { closed: true, width: 0.04, holding: true },
        { closed: true, width: 0.04, holding: true },
      ],
    );
    assert.deepEqual(
      signals.samples.map((s) => s.objects.cube),
      [
        [0.2, 0, 0.03],
        [0.2, 0, 0.03],
        [0.2, 0, 0.03],
        [0.2, 0, 0.03],
      ],
    );
    assert.deepEqual(signals.staticPoints, { bin: [0.6, -0.2, 0.01] });
    assert.deepEqual(signals.roles, { target: 'cube', destination: 'bin' });
    assert.equal(signals.tableHeight, 0.01);
    assert.equal(signals.contactsClassified, false);
    // The wrist force departs from its first reading by 10 N between 100 and 200 ms only.
    assert.deepEqual(
      signals.samples.map((s) => s.contacts!.length),
      [0, 1, 0, 0],
    );
    assert.equal(signals.samples[1]!.contacts![0]!.force, 10);
  });

  it('score like any other signals: grasped inferred, collisions counted', () => {
    const spec: CostSpec = {
      format: 'grape-cost-spec/1',
      task: 'pick',
      objective: 'task',
      summary: 'pick the cube',
      points: [{ name: 'cube', kind: 'role', role: 'target' }],
      stages: [
        {
          name: 'grasp',
          description: 'close on the cube',
          tau: 0,
          doneWhen: [{ measure: { kind: 'grasped', object: 'cube' }, is: true }],
          terms: [{ measure: { kind: 'contact_count' }, weight: 1, aggregate: 'sum' }],
        },
      ],
    };
    const evaluation = new CostEvaluator(spec).evaluate(
      robotTrajectorySignals(streams(), CONFIG, 'robot log'),
    );
    assert.deepEqual(evaluation.stages[0]!.samples, [0, 1]);
    assert.equal(evaluation.stages[0]!.cost, 1);
  });

  it('refuses poses in another frame, missing joints and topics without messages', () => {
    const other = streams();
    other.objectPoses = { cube: [{ time: T0, message: pose(T0, 0, 0, 0, 'camera') }] };
    assert.throws(
      () => robotTrajectorySignals(other, CONFIG, 'log'),
      /log: the pose of cube is in frame "camera", not "base"/,
    );
    const noFinger = streams();
    noFinger.joints = [{ time: T0, message: { ...fingers(T0, 0.04), name: ['joint1'] } }];
    assert.throws(() => robotTrajectorySignals(noFinger, CONFIG, 'log'), /no position of finger_left/);
    assert.throws(
      () => robotTrajectorySignals({ ...streams(), wrenches: [] }, CONFIG, 'log'),
      /log: no wrench on \/wrench/,
    );
  });

  it('configuration files are validated, naming the field', () => {
    const file = join(scratch, 'signals.yaml');
    writeFileSync(
      file,
      'eePose:\n  topic: /ee\ngripper:\n  topic: /joints\n  joints: [a]\n  closedBelow: 0.01\n  emptyBelow: 0.02\n',
    );
    assert.throws(
      () => loadRobotSignalConfig(file),
      /emptyBelow \(0\.02\) must be less than gripper\.closedBelow/,
    );
    writeFileSync(file, 'eePose: {topic: /ee}\nroles: {target: cube}\nobject: {}\n');
    assert.throws(
      () => loadRobotSignalConfig(file),
      /\(top level\) must NOT have additional properties \(object\)/,
    );
    assert.throws(
      () => checkRobotSignalConfig({ eePose: { topic: '/ee' }, roles: { target: 'cube' } }, 'c'),
      /roles\.target names "cube", which objects does not configure/,
    );
  });
});

describe('episode recordings', () => {
  const policyStep = (i: number, t: bigint, logp: number, flags = 0): PolicyStep => ({
    header: header(t, ''),
    step: i,
    policy_id: 'p0',
    tokens: [1, 2, 3, 4, 5, 6, 7],
    action: [0, 0, 0, 0, 0, 0, 1],
    logp,
    logp_dims: [],
    temperature: 1,
    top_k: 0,
    flags,
    features: [],
  });

  it('read the simulator records and policy steps of a recorded simulator episode', async () => {
    const dataDir = join(scratch, 'sim');
    const recorder = await EpisodeRecorder.open({
      dataDir,
      topics: [{ name: SIM_SIGNALS_TOPIC, type: SIM_SIGNALS_TYPE }],
    });
    await recorder.startEpisode(
      { taskId: 'place-on-plate', instruction: 'put the red cube on the green plate', policyId: 'p0' },
      T0,
    );
    for (let i = 0; i < 3; i++) {
      const t = T0 + BigInt(i) * 100n * MS;
      recorder.record(
        SIM_SIGNALS_TOPIC,
        { data: encodeSimSignals(simStep(i, i > 0 ? 'red_cube' : null, 0.4 + i / 100), ROLES) },
        t,
      );
      recorder.step(policyStep(i, t, -i, i === 2 ? 2 : 0), t);
    }
    const episode = await recorder.endEpisode({ outcome: 'failure' });
    const bag = recorder.index.bagDir(episode);
    await recorder.close();
    const recording = await readEpisodeRecording(bag);
    assert.deepEqual(recording.policySteps, [
      { logp: -0, flags: 0 },
      { logp: -1, flags: 0 },
      { logp: -2, flags: 2 },
    ]);
    assert.equal(recording.signals!.samples.length, 3);
    assert.deepEqual(recording.signals!.roles, { target: 'red_cube', destination: 'green_plate' });
    assert.equal(recording.signals!.samples[2]!.gripper!.grasped, 'red_cube');
    assert.match(recording.signals!.source, /simulator records in /);
  });

  it('read robot topics from the episode bag, or from the source bag of a replayed episode', async () => {
    const CAMERA_INFO_TOPIC = '/camera/depth/camera_info';
    const robotTopics = [
      { name: '/ee_pose', type: 'geometry_msgs/msg/PoseStamped' },
      { name: '/joint_states', type: 'sensor_msgs/msg/JointState' },
      { name: '/wrench', type: 'geometry_msgs/msg/WrenchStamped' },
      { name: '/cube_pose', type: 'geometry_msgs/msg/PoseStamped' },
      { name: '/camera/depth', type: 'sensor_msgs/msg/Image' },
      { name: CAMERA_INFO_TOPIC, type: 'sensor_msgs/msg/CameraInfo' },
    ];
    const config: RobotSignalConfig = {
      ...CONFIG,
      camera: {
        depthTopic: '/camera/depth',
        infoTopic: CAMERA_INFO_TOPIC,
        extrinsics: { position: { x: 0.5, y: 0, z: 1 }, orientation: { x: 1, y: 0, z: 0, w: 0 } },
      },
    };
    const depth: Image = {
      header: header(T0, 'camera'),
      height: 2,
      width: 2,
      encoding: '32FC1',
      is_bigendian: 0,
      step: 8,
      data: new Uint8Array(new Float32Array([1, 1, 1, 1]).buffer),
    };
    const info = {
      header: header(T0, 'camera'),
      height: 2,
      width: 2,
      distortion_model: 'plumb_bob',
      d: [0, 0, 0, 0, 0],
      k: [2, 0, 0.5, 0, 2, 0.5, 0, 0, 1],
      r: [1, 0, 0, 0, 1, 0, 0, 0, 1],
      p: [2, 0, 0.5, 0, 0, 2, 0.5, 0, 0, 0, 1, 0],
      binning_x: 0,
      binning_y: 0,
      roi: { x_offset: 0, y_offset: 0, height: 0, width: 0, do_rectify: false },
    };
    const writeRobot = (r: EpisodeRecorder) => {
      r.record('/camera/depth', depth, T0);
      r.record(CAMERA_INFO_TOPIC, info, T0);
      r.record('/cube_pose', pose(T0, 0.3, 0, 0.03), T0);
      for (let i = 0; i < 4; i++) {
        const t = T0 + BigInt(i) * 100n * MS;
        r.record('/ee_pose', pose(t, 0.1 * i, 0, 0.2), t);
        r.record('/joint_states', fingers(t, 0.04), t);
        r.record('/wrench', wrench(i === 2 ? -20 : -2), t);
      }
    };

    // Recorded on the robot with every topic.
    const robot = await EpisodeRecorder.open({ dataDir: join(scratch, 'robot'), topics: robotTopics });
    await robot.startEpisode({ taskId: 'pick', instruction: 'pick up the cube', policyId: 'p0' }, T0);
    writeRobot(robot);
    for (let i = 0; i < 4; i++)
      robot.step(policyStep(i, T0 + BigInt(i) * 100n * MS, -1), T0 + BigInt(i) * 100n * MS);
    const robotBag = robot.index.bagDir(await robot.endEpisode({ outcome: 'success' }));
    await robot.close();
    const direct = await readEpisodeRecording(robotBag, { robotConfig: config });
    assert.deepEqual(
      direct.signals!.samples.map((s) => Number(s.ee[0].toFixed(9))),
      [0, 0.1, 0.2, 0.3],
    );
    assert.deepEqual(
      direct.signals!.samples.map((s) => s.contacts!.length),
      [0, 0, 1, 0],
    );
    // The 2×2 depth camera sees (0.5, 0, 0) at the image centre.
    const centre = direct.signals!.pixelLifter!.lift(0.5, 0.5);
    [0.5, 0, 0].forEach((v, i) => {
      assert.ok(Math.abs(centre[i]! - v) < 1e-9, centre.join(', '));
    });

    // Replayed: the episode bag has the policy steps only; the robot topics are in the source bag.
    const replay = await EpisodeRecorder.open({ dataDir: join(scratch, 'replay'), topics: [] });
    await replay.startEpisode(
      {
        taskId: 'pick',
        instruction: 'pick up the cube',
        policyId: 'p1',
        source: 'replay',
        sourceBag: robotBag,
      },
      T0,
    );
    for (let i = 0; i < 3; i++)
      replay.step(policyStep(i, T0 + BigInt(i) * 100n * MS, -2), T0 + BigInt(i) * 100n * MS);
    const replayBag = replay.index.bagDir(await replay.endEpisode({}));
    await replay.close();
    const replayed = await readEpisodeRecording(replayBag, { robotConfig: config, sourceBag: robotBag });
    assert.deepEqual(
      replayed.signals!.samples.map((s) => Number(s.ee[0].toFixed(9))),
      [0, 0.1, 0.2],
      'sampled at the replayed steps',
    );
    assert.deepEqual(
      replayed.policySteps.map((s) => s.logp),
      [-2, -2, -2],
    );

    await assert.rejects(
      readEpisodeRecording(replayBag, { robotConfig: config }),
      /eePose topic \/ee_pose has no messages in \S+$/,
    );
    await assert.rejects(
      readEpisodeRecording(replayBag, { robotConfig: config, sourceBag: replayBag }),
      /eePose topic \/ee_pose has no messages in .* nor in its source bag/,
    );
  });
});
