import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { MAX_TRANSLATION_STEP } from '../src/sim/action-space.js';
import { JOINT_NAMES } from '../src/sim/panda-robot.js';
import { CAMERA_RESOLUTION } from '../src/sim/ray-cast-camera.js';
import { ScriptedExpert } from '../src/sim/scripted-expert.js';
import { SimEnvironment } from '../src/sim/sim-environment.js';
import type { StepSignals } from '../src/sim/step-signals.js';

const STILL = [0, 0, 0, 0, 0, 0, 0];

/** Runs the expert for `steps` steps and returns every step's signals. */
function expertTrace(env: SimEnvironment, task: string, seed: number, steps: number): StepSignals[] {
  env.reset(task, seed);
  const expert = new ScriptedExpert(env.taskEpisode);
  return Array.from({ length: steps }, () => env.step(expert.act(env.signals())).signals);
}

describe('SimEnvironment', () => {
  let env: SimEnvironment;
  let other: SimEnvironment;
  before(async () => {
    env = await SimEnvironment.create();
    other = await SimEnvironment.create();
  });
  after(() => {
    env.close();
    other.close();
  });

  it('resets deterministically per seed: same state, same image, same expert rollout', () => {
    const a = env.reset('place-on-plate', 7);
    const imageA = env.observe().image.data;
    const signalsA = env.signals();
    other.reset('lift', 3); // a different scene loaded first must not matter
    const b = other.reset('place-on-plate', 7);
    assert.deepEqual(b, a);
    assert.deepEqual(other.signals(), signalsA);
    assert.deepEqual(other.observe().image.data, imageA);
    assert.deepEqual(expertTrace(other, 'place-on-plate', 7, 25), expertTrace(env, 'place-on-plate', 7, 25));
  });

  it('different seeds start from different states', () => {
    env.reset('stack', 1);
    const one = env.signals();
    env.reset('stack', 2);
    const two = env.signals();
    assert.notDeepEqual(Object.values(two.objects), Object.values(one.objects));
    assert.notDeepEqual(two.ee.position, one.ee.position);
  });

  it('observes an rgb8 camera image, the Panda joint states and the end-effector pose', () => {
    const info = env.reset('lift', 0);
    assert.match(info.instruction, /\w/);
    const obs = env.observe();
    assert.equal(obs.image.encoding, 'rgb8');
    assert.equal(obs.image.width, CAMERA_RESOLUTION);
    assert.equal(obs.image.height, CAMERA_RESOLUTION);
    assert.equal(obs.image.step, 3 * CAMERA_RESOLUTION);
    assert.equal(obs.image.data.length, 3 * CAMERA_RESOLUTION * CAMERA_RESOLUTION);
    assert.deepEqual(obs.joints.name, JOINT_NAMES);
    assert.equal(obs.joints.position.length, 9);
    assert.equal(obs.joints.velocity.length, 9);
    assert.equal(obs.joints.effort.length, 9);
    assert.ok(Math.abs(obs.joints.position[3]! + 2.42) < 0.05, 'joint4 starts near the ready pose');
    assert.ok(Math.abs(obs.joints.position[7]! - 0.04) < 0.002, 'the gripper starts open');
    assert.deepEqual(obs.image.header.stamp, { sec: 0, nanosec: 0 });
    const p = obs.eePose.pose.position;
    assert.ok(
      Math.abs(p.x - 0.45) < 0.03 && Math.abs(p.y) < 0.03 && Math.abs(p.z - 0.3) < 0.03,
      JSON.stringify(p),
    );
    // Pointing down: the TCP's z axis is the world's -z, so the quaternion is a half turn about a horizontal axis.
    assert.ok(Math.abs(obs.eePose.pose.orientation.w) < 0.05);
    env.step(STILL);
    assert.deepEqual(env.observe().joints.header.stamp, { sec: 0, nanosec: 100_000_000 });
  });

  it('moves the end effector by the commanded deltas and holds still on a zero action', () => {
    env.reset('lift', 0);
    const start = env.signals().ee.position;
    for (let i = 0; i < 5; i++) env.step(STILL);
    const held = env.signals().ee.position;
    assert.ok(
      Math.hypot(held[0] - start[0], held[1] - start[1], held[2] - start[2]) < 0.003,
      'drift while holding',
    );
    for (let i = 0; i < 3; i++) env.step([0.02, -0.01, -0.03, 0, 0, 0, 0]);
    for (let i = 0; i < 3; i++) env.step(STILL); // the arm lags its target by about a control period
    const moved = env.signals().ee.position;
    assert.ok(Math.abs(moved[0] - held[0] - 0.06) < 0.01, `x moved ${moved[0] - held[0]}`);
    assert.ok(Math.abs(moved[1] - held[1] + 0.03) < 0.01, `y moved ${moved[1] - held[1]}`);
    assert.ok(Math.abs(moved[2] - held[2] + 0.09) < 0.01, `z moved ${moved[2] - held[2]}`);
    assert.ok(env.signals().pathLength > 0.1);
  });

  it('holds still far from the ready posture too: no creep from the IK, step after step', () => {
    env.reset('lift', 0);
    for (let i = 0; i < 10; i++) env.step([0.01, 0.015, -0.021, 0, 0, 0, 1]);
    env.step(STILL);
    const start = env.signals().ee.position;
    for (let i = 0; i < 10; i++) env.step(STILL);
    const held = env.signals().ee.position;
    const drift = Math.hypot(held[0] - start[0], held[1] - start[1], held[2] - start[2]);
    assert.ok(drift < 0.002, `drifted ${(drift * 1000).toFixed(1)} mm in 10 steps`);
  });

  it('rotates about the vertical on a yaw action', () => {
    env.reset('lift', 0);
    const yawOf = (s: StepSignals) => {
      const [w, x, y, z] = s.ee.orientation;
      return Math.atan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z));
    };
    const before = yawOf(env.signals());
    for (let i = 0; i < 3; i++) env.step([0, 0, 0, 0, 0, 0.1, 0]);
    env.step(STILL);
    const turned = yawOf(env.signals()) - before;
    assert.ok(Math.abs(Math.atan2(Math.sin(turned), Math.cos(turned)) - 0.3) < 0.05, `turned ${turned}`);
  });

  it('clamps oversized actions and says so', () => {
    env.reset('lift', 0);
    const before = env.signals().ee.position[0];
    const result = env.step([0.5, 0, 0, 0, 0, 0, 0]);
    assert.equal(result.clamped, true);
    assert.ok(result.signals.ee.position[0] - before <= MAX_TRANSLATION_STEP + 0.005);
    assert.equal(env.step([0.01, 0, 0, 0, 0, 0, 0]).clamped, false);
  });

  it('closes the gripper on command 1 and opens it on 0', () => {
    env.reset('lift', 0);
    for (let i = 0; i < 5; i++) env.step([0, 0, 0, 0, 0, 0, 1]);
    assert.equal(env.signals().gripper.command, 'close');
    assert.ok(env.signals().gripper.width < 0.005, `width ${env.signals().gripper.width}`);
    for (let i = 0; i < 5; i++) env.step(STILL);
    assert.ok(env.signals().gripper.width > 0.07);
  });

  it('reports robot contacts with the table, with force', () => {
    env.reset('lift', 0);
    for (let i = 0; i < 12; i++) env.step([0, 0, -0.04, 0, 0, 0, 1]);
    const table = env.signals().contacts.filter((c) => c.kind === 'table');
    assert.ok(table.length > 0, JSON.stringify(env.signals().contacts));
    assert.ok(table.every((c) => c.force > 0 && !c.target));
  });

  it('rejects bad actions, tasks, seeds and splits with messages that name them', async () => {
    const fresh = await SimEnvironment.create();
    assert.throws(() => fresh.step(STILL), /no episode: call reset/);
    fresh.close();
    env.reset('lift', 0);
    assert.throws(() => env.step([0, 0, 0]), /7 numbers.*got 3/);
    assert.throws(() => env.step([0, 0, Number.NaN, 0, 0, 0, 0]), /action\[2\] is NaN/);
    assert.throws(() => env.reset('juggle', 0), /unknown task "juggle"; tasks: lift, place-on-plate/);
    assert.throws(() => env.reset('lift', -1), /seed must be a non-negative integer/);
    assert.throws(() => env.reset('lift', 0, 'upside-down' as never), /unknown split "upside-down"/);
  });
});
