// The policy node core with the real default policy and the real episode recorder; only the
// transport (ROS or the simulator in production) is a capturing double.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { BagReader } from '../src/bag/bag-reader.js';
import { EpisodeRecorder } from '../src/episode/episode-recorder.js';
import {
  EVENT_TOPIC,
  STEP_TOPIC,
  StepFlag,
  type EpisodeEvent,
  type PolicyStep,
} from '../src/episode/policy-step.js';
import type { Image, PoseStamped } from '../src/messages/ros-messages.js';
import { NO_LIMITS } from '../src/node/action-limits.js';
import type { ActionCommand, NodeStatus, NodeTransport } from '../src/node/node-interfaces.js';
import { PolicyNode, type PolicyNodeConfig } from '../src/node/policy-node.js';
import type { Policy } from '../src/policy/policy.js';
import { loadDefaultPolicy } from './helpers/default-policy.js';
import { jointState, scratchDir, tableScene } from './helpers/policy-fixtures.js';

process.env.GRAPE_LOG = 'silent';

const MS = 1_000_000n;
const TOPICS = { camera: '/camera/image_raw', joints: '/joint_states', eePose: '/ee_pose' };

class CapturingTransport implements NodeTransport {
  actions: ActionCommand[] = [];
  statuses: NodeStatus[] = [];
  publishAction(command: ActionCommand): void {
    this.actions.push(command);
  }
  publishStatus(status: NodeStatus): void {
    this.statuses.push(status);
  }
}

const BASE: PolicyNodeConfig = {
  rateHz: 10,
  dryRun: false,
  staleTimeoutS: 0.5,
  maxSteps: 0,
  limits: NO_LIMITS,
  topics: TOPICS,
  needsEePose: false,
  eeDeltaActions: true,
  recordFeatures: true,
};

const image: Image = tableScene({ x: 40, y: 50, size: 9, colour: [200, 30, 30] });
const eePose: PoseStamped = {
  header: { stamp: { sec: 0, nanosec: 0 }, frame_id: 'panda_link0' },
  pose: { position: { x: 0.5, y: 0, z: 0.3 }, orientation: { x: 1, y: 0, z: 0, w: 0 } },
};

let policy: Policy;
let dataDir: string;
let recorder: EpisodeRecorder;

before(async () => {
  policy = (await loadDefaultPolicy()).policy;
  dataDir = scratchDir('grape-node-');
  recorder = await EpisodeRecorder.open({
    dataDir,
    topics: [
      { name: TOPICS.camera, type: 'sensor_msgs/msg/Image', camera: true },
      { name: TOPICS.joints, type: 'sensor_msgs/msg/JointState' },
      { name: TOPICS.eePose, type: 'geometry_msgs/msg/PoseStamped' },
    ],
    camera: { rateHz: 100 },
  });
});

after(async () => {
  await recorder.close();
  await policy.dispose();
});

function node(config: Partial<PolicyNodeConfig> = {}) {
  const transport = new CapturingTransport();
  return { node: new PolicyNode(policy, recorder, transport, { ...BASE, ...config }), transport };
}

function feed(n: PolicyNode, at: bigint, img: Image = image): void {
  n.onImage(img, at);
  n.onJointState(jointState(), at);
  n.onEePose(eePose, at);
}

async function recorded(bagPath: string) {
  const bag = await BagReader.open(join(dataDir, bagPath));
  const steps: PolicyStep[] = [];
  const events: EpisodeEvent[] = [];
  const counts = new Map<string, number>();
  for await (const m of bag.decoded()) {
    counts.set(m.topic, (counts.get(m.topic) ?? 0) + 1);
    if (m.topic === STEP_TOPIC) steps.push(m.message as PolicyStep);
    if (m.topic === EVENT_TOPIC) events.push(m.message as EpisodeEvent);
  }
  await bag.close();
  return { steps, events, counts };
}

describe('policy node core', () => {
  it('runs an episode: steps from the latest inputs, published and recorded with their features', async () => {
    const { node: n, transport } = node();
    feed(n, 0n);
    await n.startEpisode({ instruction: 'lift the red cube', taskId: 'lift', seed: 3 }, 0n);
    for (let i = 1; i <= 4; i++) {
      feed(n, BigInt(i) * 100n * MS);
      const r = await n.tick(BigInt(i) * 100n * MS);
      assert.equal(r.kind, 'step');
    }
    const episode = await n.endEpisode('success', 'clean run', 500n * MS);
    assert.equal(await n.tick(600n * MS).then((r) => r.kind), 'idle');
    assert.equal(transport.actions.length, 4);
    assert.ok(transport.actions.every((a) => !a.hold && a.action.length === 7));
    assert.equal(episode.outcome, 'success');
    assert.equal(episode.stepCount, 4);
    const { steps, counts } = await recorded(episode.bagPath);
    assert.equal(steps.length, 4);
    assert.deepEqual(
      steps.map((s) => s.step),
      [0, 1, 2, 3],
    );
    assert.ok(
      steps.every((s) => s.flags === 0 && s.tokens.length === 7 && s.features.length === policy.featureSize),
    );
    assert.ok(steps.every((s) => s.logp < 0 && Number.isFinite(s.logp)));
    assert.equal(counts.get(TOPICS.camera), 5); // the latest at the start, and those arriving during it
    assert.equal(counts.get(TOPICS.joints), 5);
  });

  it('holds on stale inputs, says so once, and resumes when they are fresh', async () => {
    const { node: n, transport } = node();
    feed(n, 0n);
    await n.startEpisode({ instruction: 'lift the red cube', taskId: 'lift' }, 0n);
    assert.equal((await n.tick(100n * MS)).kind, 'step');
    const first = await n.tick(700n * MS); // camera and joints are 0.7 s old
    assert.ok(first.kind === 'hold');
    assert.match(first.reason, /stale input: camera, joints/);
    assert.deepEqual(n.status().staleInputs, ['camera', 'joints']);
    assert.equal((await n.tick(800n * MS)).kind, 'hold');
    feed(n, 900n * MS);
    assert.equal((await n.tick(900n * MS)).kind, 'step');
    const holds = transport.actions.filter((a) => a.hold);
    assert.equal(holds.length, 2);
    const lastPolicyGripper = transport.actions[0]!.action[6]!;
    assert.ok(
      holds.every((h) => h.action.slice(0, 6).every((v) => v === 0) && h.action[6] === lastPolicyGripper),
    );
    const episode = await n.endEpisode('failure', undefined, 1000n * MS);
    const { steps, events } = await recorded(episode.bagPath);
    assert.deepEqual(
      steps.map((s) => s.flags),
      [0, StepFlag.HOLD, StepFlag.HOLD, 0],
    );
    assert.equal(events.filter((e) => e.kind === 'stale_input').length, 1);
  });

  it('counts frames it never used and ticks it had to skip', async () => {
    const { node: n } = node();
    feed(n, 0n);
    await n.startEpisode({ instruction: 'lift the red cube', taskId: 'lift' }, 0n);
    feed(n, 10n * MS);
    feed(n, 20n * MS);
    const [a, b] = await Promise.all([n.tick(30n * MS), n.tick(31n * MS)]);
    assert.deepEqual([a.kind, b.kind].sort(), ['skipped', 'step']);
    assert.equal(n.status().droppedFrames, 2);
    assert.equal(n.status().overruns, 1);
    await n.endEpisode('aborted', 'test', 40n * MS);
  });

  it('dry run computes and records but publishes nothing', async () => {
    const { node: n, transport } = node({ dryRun: true });
    feed(n, 0n);
    await n.startEpisode({ instruction: 'lift the red cube', taskId: 'lift' }, 0n);
    await n.tick(0n);
    await n.tick(100n * MS);
    const episode = await n.endEpisode('aborted', undefined, 200n * MS);
    assert.equal(transport.actions.length, 0);
    assert.ok(transport.statuses.every((s) => s.dryRun));
    const { steps, events } = await recorded(episode.bagPath);
    assert.deepEqual(
      steps.map((s) => s.flags),
      [StepFlag.DRY_RUN, StepFlag.DRY_RUN],
    );
    assert.ok(events.some((e) => e.kind === 'abort'));
  });

  it('clamps actions to the limits, flags them and says so', async () => {
    const { node: n, transport } = node({
      limits: {
        maxTranslation: 1e-4,
        maxRotation: 1e-4,
        workspace: { min: [0.2, -0.4, 0.29], max: [0.8, 0.4, 0.3] },
      },
    });
    feed(n, 0n);
    await n.startEpisode({ instruction: 'lift the red cube', taskId: 'lift' }, 0n);
    const r = await n.tick(0n);
    assert.ok(r.kind === 'step');
    assert.ok(r.flags & StepFlag.CLAMPED);
    assert.ok(r.clamped.length > 0);
    const sent = transport.actions[0]!.action;
    assert.ok(Array.from(sent.subarray(0, 6)).every((v) => Math.abs(v) <= 1e-4 + 1e-12));
    assert.match(transport.statuses.at(-1)!.message, /^clamped: /);
    await n.endEpisode('aborted', undefined, 100n * MS);
  });

  it('executes and flags an intervention, then hands back to the policy', async () => {
    const { node: n, transport } = node();
    feed(n, 0n);
    await n.startEpisode({ instruction: 'lift the red cube', taskId: 'lift' }, 0n);
    n.intervene([0.01, 0, -0.01, 0, 0, 0, 1], 0n);
    const r = await n.tick(0n);
    assert.ok(r.kind === 'step');
    assert.equal(r.flags, StepFlag.INTERVENTION);
    assert.ok(Math.abs(transport.actions[0]!.action[0]! - 0.01) < 1e-3);
    assert.equal(transport.actions[0]!.action[6], 1);
    n.intervene(null, 100n * MS);
    feed(n, 100n * MS);
    const back = await n.tick(100n * MS);
    if (back.kind === 'step') assert.equal(back.flags, 0);
    const episode = await n.endEpisode('success', undefined, 200n * MS);
    const { events, steps } = await recorded(episode.bagPath);
    assert.deepEqual(
      events.map((e) => e.kind).filter((k) => k.startsWith('intervention')),
      ['intervention_start', 'intervention_end'],
    );
    assert.deepEqual(
      steps.map((s) => s.flags),
      [StepFlag.INTERVENTION, 0],
    );
  });

  it('ends an episode that runs past its step limit as a timeout failure', async () => {
    const { node: n, transport } = node({ maxSteps: 3 });
    feed(n, 0n);
    await n.startEpisode({ instruction: 'lift the red cube', taskId: 'lift' }, 0n);
    for (let i = 0; i < 3; i++) await n.tick(BigInt(i) * 10n * MS);
    assert.equal(n.episodeId, undefined);
    assert.equal((await n.tick(40n * MS)).kind, 'idle');
    assert.match(transport.statuses.at(-1)!.message, /ended: failure \(timeout after 3 steps\)/);
  });

  it('holds on a bad input, records what was wrong, and keeps the episode', async () => {
    const { node: n } = node();
    feed(n, 0n, { ...image, encoding: 'bayer_rggb8' });
    await n.startEpisode({ instruction: 'lift the red cube', taskId: 'lift' }, 0n);
    const r = await n.tick(0n);
    assert.ok(r.kind === 'hold');
    assert.match(r.reason, /policy input error: .*bayer_rggb8/);
    feed(n, 100n * MS);
    assert.equal((await n.tick(100n * MS)).kind, 'step');
    const episode = await n.endEpisode('failure', undefined, 200n * MS);
    const { events } = await recorded(episode.bagPath);
    const note = events.find((e) => e.kind === 'note');
    assert.match(note!.detail, /bayer_rggb8/);
  });

  it("records a demonstrator's actions as its own steps", async () => {
    const { node: n } = node();
    feed(n, 0n);
    const started = await n.startEpisode(
      { instruction: 'lift the red cube', taskId: 'lift', demonstrator: 'expert:test' },
      0n,
    );
    assert.equal(started.policyCheckpointId, 'expert:test');
    assert.equal((await n.tick(0n)).kind, 'hold'); // no action given yet
    n.demonstrate([0, 0, -0.02, 0, 0, 0.05, 0]);
    feed(n, 100n * MS);
    const r = await n.tick(100n * MS);
    assert.equal(r.kind, 'step');
    const episode = await n.endEpisode('success', undefined, 200n * MS);
    const { steps } = await recorded(episode.bagPath);
    assert.equal(steps[1]!.flags, 0);
    assert.equal(steps[1]!.policy_id, 'expert:test');
    assert.ok(Math.abs(steps[1]!.action[2]! + 0.02) < 1e-3);
    assert.throws(() => {
      n.demonstrate([0, 0, 0, 0, 0, 0, 0]);
    }, /needs a demonstration episode/);
  });

  it('publishes nothing for a step whose episode ended while it was computing', async () => {
    const { node: n, transport } = node();
    feed(n, 0n);
    await n.startEpisode({ instruction: 'lift the red cube', taskId: 'lift' }, 0n);
    const pending = n.tick(0n);
    await n.endEpisode('aborted', 'operator stop', 1n);
    assert.equal((await pending).kind, 'idle');
    assert.equal(transport.actions.length, 0);
  });

  it('keeps non-ASCII text in recorded events intact', async () => {
    const { node: n } = node();
    feed(n, 0n);
    await n.startEpisode({ instruction: 'soulève le cube rouge → haut', taskId: 'lift' }, 0n);
    const episode = await n.endEpisode('aborted', 'arrêt: opérateur ✋', 10n * MS);
    const { events } = await recorded(episode.bagPath);
    const detail = JSON.parse(events.find((e) => e.kind === 'abort')!.detail) as { notes: string };
    assert.equal(detail.notes, 'arrêt: opérateur ✋');
    const start = JSON.parse(events.find((e) => e.kind === 'start')!.detail) as { instruction: string };
    assert.equal(start.instruction, 'soulève le cube rouge → haut');
  });

  it('refuses bad configuration', () => {
    assert.throws(() => node({ rateHz: 0 }), /rate_hz must be > 0/);
    assert.throws(() => node({ staleTimeoutS: -1 }), /stale_timeout must be > 0/);
    assert.throws(
      () =>
        node({
          limits: { maxTranslation: 1, maxRotation: 1, workspace: { min: [0, 0, 1], max: [1, 1, 0] } },
        }),
      /workspace min .* must be below max/,
    );
  });
});
