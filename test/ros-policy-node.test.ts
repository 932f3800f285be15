// grape_policy end to end on the fake ROS graph: the real adapter (src/ros) on the real node core, the
// real default policy (onnxruntime encoder, native head) and the real recorder, fed message payloads
// from the rosbag fixtures. Only the ROS graph is a test double (helpers/fake-rclnodejs.ts).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { BagReader } from '../src/bag/bag-reader.js';
import { EpisodeIndex } from '../src/episode/episode-index.js';
import { StepFlag } from '../src/episode/policy-step.js';
import { RosPolicyNode, type RosPolicyNodeHooks } from '../src/ros/ros-policy-node.js';
import { FakeRosGraph, type FakeRosOptions } from './helpers/fake-rclnodejs.js';
import { defaultModelDir, scratchDir } from './helpers/policy-fixtures.js';
import { fixtureMessages, pandaJointsCdr, waitFor } from './helpers/ros-node-harness.js';

const PERIOD = 100_000_000n; // rate_hz 10
const MS = 1_000_000n;

interface Harness {
  graph: FakeRosGraph;
  node: RosPolicyNode;
  dataDir: string;
}

const open: RosPolicyNode[] = [];
after(async () => {
  for (const n of open) await n.shutdown('test over');
});

async function startNode(options: FakeRosOptions = {}, hooks: RosPolicyNodeHooks = {}): Promise<Harness> {
  const dataDir = scratchDir('grape-ros-');
  const graph = new FakeRosGraph({
    ...options,
    overrides: { model: await defaultModelDir(), data_dir: dataDir, ...options.overrides },
  });
  const rcl = graph.rclnodejs();
  const node = await RosPolicyNode.create(rcl, new rcl.Node('grape_policy'), hooks);
  open.push(node);
  return { graph, node, dataDir };
}

type Status = { state: string; step: number; message: string; stale_inputs: string[]; overruns: number };

function statuses(graph: FakeRosGraph): Status[] {
  return graph.publisher('/grape_policy/status').messages as Status[];
}

/** Fires the control timer once at the graph's clock and waits for the step's status. */
async function tick(graph: FakeRosGraph): Promise<Status> {
  const before = statuses(graph).length;
  graph.fire(PERIOD);
  await waitFor(() => statuses(graph).length > before, 'a control step');
  return statuses(graph).at(-1)!;
}

let image: Uint8Array;
let compressed: Uint8Array;
let fixtureJoints: Uint8Array;
before(async () => {
  // A 2×2 mono8 camera frame (ros2bag_tools), and rosbags-rs's CompressedImage (10 bytes: a JPEG
  // header and nothing else) and JointState (joints joint1..joint3).
  image = (await fixtureMessages('ait-images-sqlite3', '/image'))[0]!.data;
  compressed = (await fixtureMessages('rosbags-rs-mcap', '/test/sensor_msgs/compressed_image'))[0]!.data;
  fixtureJoints = (await fixtureMessages('rosbags-rs-mcap', '/test/sensor_msgs/joint_state'))[0]!.data;
});

describe('grape_policy on a ROS graph', () => {
  it('subscribes with sensor-data QoS, publishes action, status and diagnostics, and serves the lifecycle', async () => {
    const { graph } = await startNode({ overrides: { ee_pose_topic: '/ee_pose' } });
    assert.deepEqual(
      graph.subscriptions.map((s) => [s.topic, s.type, s.qos, s.isRaw]),
      [
        ['/camera/image_raw', 'sensor_msgs/msg/Image', 'qos_profile_sensor_data', true],
        ['/joint_states', 'sensor_msgs/msg/JointState', 'qos_profile_sensor_data', true],
        ['/ee_pose', 'geometry_msgs/msg/PoseStamped', 'qos_profile_sensor_data', true],
      ],
    );
    assert.deepEqual(
      graph.publishers.map((p) => [p.topic, p.type]),
      [
        ['/servo_node/delta_twist_cmds', 'geometry_msgs/msg/TwistStamped'],
        ['/grape/gripper_command', 'std_msgs/msg/Float64'],
        ['/grape_policy/status', 'grape/msg/EpisodeStatus'],
        ['/diagnostics', 'diagnostic_msgs/msg/DiagnosticArray'],
      ],
    );
    assert.deepEqual(
      [...graph.services].map(([name, s]) => [name, s.type]),
      [
        ['/grape_policy/start_episode', 'grape/srv/StartEpisode'],
        ['/grape_policy/end_episode', 'grape/srv/EndEpisode'],
        ['/grape_policy/abort', 'std_srvs/srv/Trigger'],
        ['/grape_policy/end_session', 'grape/srv/EndSession'],
        ['/grape_policy/reload_policy', 'grape/srv/ReloadPolicy'],
      ],
    );
    assert.deepEqual(
      graph.timers.map((t) => t.period),
      [PERIOD, 1_000_000_000n],
      'the control loop at rate_hz, diagnostics at 1 Hz',
    );
    assert.ok(graph.logs.some((l) => l.level === 'info' && /dry run: none is published/.test(l.message)));
  });

  it('runs an episode on fixture frames, holds on stale input, and records what it received', async () => {
    const { graph, dataDir } = await startNode({
      overrides: {
        dry_run: false,
        action_type: 'std_msgs/msg/Float64MultiArray',
        action_topic: '/arm/action',
        camera_topic: '/image',
        instruction: 'lift the red cube',
        task_id: 'lift',
        operator: 'tech-1',
      },
    });
    const t0 = graph.clockNs;
    graph.deliver('/image', image);
    graph.deliver('/joint_states', pandaJointsCdr(t0, 0));
    const started = await graph.call('/grape_policy/start_episode', {
      task_id: '',
      instruction: '',
      operator: '',
      seed: -1n,
    });
    assert.equal(started.success, true, String(started.message));
    assert.match(String(started.message), /^episode \S+ started: lift the red cube$/);
    const episodeId = String(started.episode_id);

    graph.clockNs += PERIOD;
    let s = await tick(graph);
    assert.deepEqual([s.state, s.step], ['running', 1]);
    const actions = graph.publisher('/arm/action').messages as { data: Float64Array }[];
    assert.equal(actions.length, 1);
    assert.equal(actions[0]!.data.length, 7);

    // Nothing new for longer than stale_timeout (0.5 s): hold, and say so.
    graph.clockNs += 600n * MS;
    s = await tick(graph);
    assert.deepEqual([s.state, s.stale_inputs], ['holding', ['camera', 'joints']]);
    assert.equal(s.message, 'stale input: camera, joints');
    const hold = Array.from(actions.at(-1)!.data);
    assert.deepEqual(hold.slice(0, 6), [0, 0, 0, 0, 0, 0]);
    assert.equal(hold[6], actions[0]!.data[6], 'the gripper stays as last commanded');
    assert.ok(
      graph.logs.some(
        (l) => l.level === 'warn' && l.message === 'holding the robot: stale input: camera, joints',
      ),
    );

    graph.deliver('/image', image);
    graph.deliver('/joint_states', pandaJointsCdr(graph.clockNs, 1));
    graph.clockNs += PERIOD;
    s = await tick(graph);
    assert.deepEqual([s.state, s.step], ['running', 3]);

    const sent = actions.length;
    const ended = await graph.call('/grape_policy/end_episode', { outcome: 'success', notes: 'clean lift' });
    assert.deepEqual(ended, {
      success: true,
      message: `episode ${episodeId} ended: success, 3 steps`,
      episode_id: episodeId,
    });
    assert.equal(actions.length, sent + 1, 'the episode end holds the robot');
    assert.deepEqual(Array.from(actions.at(-1)!.data).slice(0, 6), [0, 0, 0, 0, 0, 0]);

    const index = EpisodeIndex.open(dataDir);
    const episode = index.episode(episodeId)!;
    assert.deepEqual(
      [episode.outcome, episode.status, episode.stepCount, episode.taskId, episode.operator, episode.notes],
      ['success', 'complete', 3, 'lift', 'tech-1', 'clean lift'],
    );
    assert.ok(episode.sessionId);
    const bag = await BagReader.open(index.bagDir(episode));
    index.close();
    try {
      const frames = [];
      for await (const m of bag.messages({ topics: ['/image'] })) frames.push(m);
      assert.ok(frames.length >= 2);
      for (const f of frames)
        assert.ok(Buffer.from(f.data).equals(image), 'camera frames recorded byte for byte');
      assert.deepEqual(
        frames.slice(0, 2).map((f) => f.logTime),
        [t0, t0 + 700n * MS],
        'stamped with the node clock',
      );
      const steps = [];
      for await (const m of bag.decoded<{ flags: number; step: number }>({ topics: ['/grape/step'] }))
        steps.push(m.message.flags);
      assert.deepEqual(steps, [0, StepFlag.HOLD, 0]);
    } finally {
      await bag.close();
    }
  });

  it('holds and says why when the policy cannot use an input (fixture CompressedImage and JointState)', async () => {
    const { graph } = await startNode({
      overrides: {
        camera_type: 'CompressedImage',
        camera_topic: '/test/sensor_msgs/compressed_image',
        joint_states_topic: '/test/sensor_msgs/joint_state',
        raw_subscriptions: false,
      },
    });
    assert.deepEqual(
      graph.subscriptions.map((s) => [s.type, s.isRaw]),
      [
        ['sensor_msgs/msg/CompressedImage', false],
        ['sensor_msgs/msg/JointState', false],
      ],
    );
    const [c] = await fixtureMessages('rosbags-rs-mcap', '/test/sensor_msgs/compressed_image');
    const [j] = await fixtureMessages('rosbags-rs-mcap', '/test/sensor_msgs/joint_state');
    graph.deliver('/test/sensor_msgs/compressed_image', c!.message as object);
    graph.deliver('/test/sensor_msgs/joint_state', j!.message as object);
    const started = await graph.call('/grape_policy/start_episode', {
      task_id: 'lift',
      instruction: 'lift the cube',
      operator: '',
      seed: 7n,
    });
    assert.equal(started.success, true, String(started.message));
    const s = await tick(graph);
    assert.equal(s.state, 'holding');
    assert.match(s.message, /^policy input error: /);
    assert.ok(graph.logs.some((l) => l.level === 'warn' && l.message === `holding the robot: ${s.message}`));
    graph.clockNs += 1_000_000_000n;
    graph.fire(1_000_000_000n);
    const diagnostics = graph.publisher('/diagnostics').messages.at(-1) as {
      status: { level: number; message: string }[];
    };
    assert.deepEqual([diagnostics.status[0]!.level, diagnostics.status[0]!.message], [1, s.message]);
    assert.equal(
      graph.publisher('/servo_node/delta_twist_cmds').messages.length,
      0,
      'dry run: nothing published',
    );
  });

  it('logs a raw message that does not decode, once, and keeps running', async () => {
    const { graph } = await startNode({ overrides: { camera_topic: '/image' } });
    graph.deliver('/image', compressed); // CompressedImage bytes on an Image topic
    graph.deliver('/image', compressed);
    graph.deliver('/joint_states', fixtureJoints);
    const errors = graph.logs.filter((l) => l.level === 'error');
    assert.equal(errors.length, 1);
    assert.match(
      errors[0]!.message,
      /^\/image: a 54-byte message does not decode as sensor_msgs\/msg\/Image: /,
    );
  });

  it('answers refused service calls with the reason', async () => {
    const { graph } = await startNode();
    const start = (fields: object) =>
      graph.call('/grape_policy/start_episode', {
        task_id: '',
        instruction: '',
        operator: '',
        seed: -1n,
        ...fields,
      });
    assert.deepEqual(await start({}), {
      success: false,
      message: 'no task id: give task_id in the request or set the task_id parameter',
      episode_id: '',
    });
    assert.deepEqual(await graph.call('/grape_policy/end_episode', { outcome: 'success', notes: '' }), {
      success: false,
      message: 'no episode is running',
      episode_id: '',
    });
    const first = await start({ task_id: 'stack', instruction: 'stack the blocks' });
    assert.equal(first.success, true);
    const second = await start({ task_id: 'stack', instruction: 'stack the blocks' });
    assert.equal(second.success, false);
    assert.match(String(second.message), /is still running; end or abort it first/);
    assert.deepEqual(await graph.call('/grape_policy/end_episode', { outcome: 'great', notes: '' }), {
      success: false,
      message: "outcome must be one of success, failure, aborted, got 'great'",
      episode_id: '',
    });
    const reload = await graph.call('/grape_policy/reload_policy', { checkpoint_id: '' });
    assert.equal(reload.success, false);
    assert.match(String(reload.message), /^episode \S+ is running: end it first$/);
    const aborted = await graph.call('/grape_policy/abort', {});
    assert.equal(aborted.success, true);
    assert.match(String(aborted.message), /^episode \S+ aborted after 0 steps$/);
    assert.ok(
      graph.logs.some(
        (l) =>
          l.level === 'warn' && l.message.startsWith('/grape_policy/end_episode refused: outcome must be'),
      ),
    );
  });

  it('ends the session: closes it in the index, and hands it to the job runner when there is one', async () => {
    const plain = await startNode({ overrides: { task_id: 'lift', instruction: 'lift the cube' } });
    assert.deepEqual(await plain.graph.call('/grape_policy/end_session', { notes: '', train: true }), {
      success: true,
      message: 'no episode was recorded in this session',
      session_id: '',
      episodes: 0,
      job_id: '',
    });
    await plain.graph.call('/grape_policy/start_episode', {
      task_id: '',
      instruction: '',
      operator: '',
      seed: -1n,
    });
    const ended = await plain.graph.call('/grape_policy/end_session', { notes: 'end of day', train: true });
    assert.equal(ended.success, true);
    assert.equal(ended.episodes, 1);
    assert.equal(ended.job_id, '');
    assert.match(
      String(ended.message),
      /^session (\S+) ended with 1 episode\(s\); no job runner is wired to this node: run grape session end --session \1 to score, pair and train$/,
    );
    const index = EpisodeIndex.open(plain.dataDir);
    const [episode] = index.episodes({ sessionId: String(ended.session_id) });
    assert.deepEqual([episode?.outcome, episode?.notes], ['aborted', 'the session ended during the episode']);
    assert.ok(index.session(String(ended.session_id))?.endedAt);
    index.close();

    const queued: unknown[] = [];
    const withRunner = await startNode(
      { overrides: { task_id: 'lift', instruction: 'lift the cube', objective: 'safety' } },
      {
        jobs: {
          start: (request) => {
            queued.push(request);
            return Promise.resolve({ jobId: 'job-7', message: 'queued job-7: score, pair, train' });
          },
          state: () => undefined,
        },
      },
    );
    await withRunner.graph.call('/grape_policy/start_episode', {
      task_id: '',
      instruction: '',
      operator: '',
      seed: -1n,
    });
    await withRunner.graph.call('/grape_policy/end_episode', { outcome: 'failure', notes: '' });
    const handed = await withRunner.graph.call('/grape_policy/end_session', { notes: 'n', train: true });
    assert.equal(handed.job_id, 'job-7');
    assert.match(String(handed.message), /ended with 1 episode\(s\); queued job-7: score, pair, train$/);
    assert.deepEqual(queued, [
      {
        dataDir: withRunner.dataDir,
        modelDir: await defaultModelDir(),
        sessionId: handed.session_id,
        notes: 'n',
        objective: 'safety',
      },
    ]);
  });

  it('reloads the policy between episodes, and refuses a checkpoint the model does not have', async () => {
    const { graph } = await startNode({ overrides: { dry_run: false, action_type: 'grape/msg/Action' } });
    const reloaded = await graph.call('/grape_policy/reload_policy', { checkpoint_id: '' });
    assert.equal(reloaded.success, true, String(reloaded.message));
    assert.match(String(reloaded.policy_id), /^grape-default@.+\/base$/);
    const missing = await graph.call('/grape_policy/reload_policy', { checkpoint_id: 'nope' });
    assert.equal(missing.success, false);
    assert.match(String(missing.message), /nope/);
  });

  it('counts a tick that finds the last step still running as an overrun, never queueing it', async () => {
    const { graph } = await startNode({
      overrides: { task_id: 'lift', instruction: 'lift the cube', camera_topic: '/image' },
    });
    graph.deliver('/image', image);
    graph.deliver('/joint_states', pandaJointsCdr(graph.clockNs, 0));
    await graph.call('/grape_policy/start_episode', {
      task_id: '',
      instruction: '',
      operator: '',
      seed: -1n,
    });
    const before = statuses(graph).length;
    graph.fire(PERIOD);
    graph.fire(PERIOD); // the first step is still in the encoder
    await waitFor(() => statuses(graph).length > before, 'the step');
    const s = statuses(graph).at(-1)!;
    assert.deepEqual([s.step, s.overruns], [1, 1], 'one step for two ticks, one overrun');
  });

  it('shuts down mid-episode: stops the loop, holds the robot, aborts the episode, closes the bag', async () => {
    const { graph, node, dataDir } = await startNode({
      overrides: { dry_run: false, task_id: 'lift', instruction: 'lift the cube', camera_topic: '/image' },
    });
    graph.deliver('/image', image);
    graph.deliver('/joint_states', pandaJointsCdr(graph.clockNs, 0));
    const started = await graph.call('/grape_policy/start_episode', {
      task_id: '',
      instruction: '',
      operator: '',
      seed: -1n,
    });
    graph.fire(PERIOD); // a step in flight when the signal comes
    await node.shutdown('SIGTERM');
    assert.ok(graph.timers.every((t) => t.canceled));
    const twists = graph.publisher('/servo_node/delta_twist_cmds').messages as {
      twist: { linear: { x: number } };
    }[];
    assert.deepEqual((twists.at(-1) as { twist: unknown }).twist, {
      linear: { x: 0, y: 0, z: 0 },
      angular: { x: 0, y: 0, z: 0 },
    });
    const index = EpisodeIndex.open(dataDir);
    const episode = index.episode(String(started.episode_id))!;
    index.close();
    assert.deepEqual(
      [episode.outcome, episode.status, episode.notes],
      ['aborted', 'complete', 'the node shut down (SIGTERM)'],
    );
    assert.equal(episode.stepCount, 1);
  });

  it('records under the remapped topic names', async () => {
    const { graph, dataDir } = await startNode({
      remap: { '/camera/image_raw': '/wrist/image' },
      overrides: { task_id: 'lift', instruction: 'lift the cube' },
    });
    assert.equal(graph.subscriptions[0]!.topic, '/wrist/image');
    graph.deliver('/wrist/image', image);
    const started = await graph.call('/grape_policy/start_episode', {
      task_id: '',
      instruction: '',
      operator: '',
      seed: -1n,
    });
    await graph.call('/grape_policy/end_episode', { outcome: 'failure', notes: '' });
    const index = EpisodeIndex.open(dataDir);
    const bag = await BagReader.open(index.bagDir(index.episode(String(started.episode_id))!));
    index.close();
    try {
      assert.ok(bag.info.topics.some((t) => t.name === '/wrist/image' && t.messageCount === 1));
    } finally {
      await bag.close();
    }
  });

  it('refuses to start with a model input it has no topic for', async () => {
    await assert.rejects(
      startNode({ overrides: { workspace_min: [0.2, -0.4, 0.01], workspace_max: [0.8, 0.4, 0.55] } }),
      /the workspace box needs the end-effector pose: set ee_pose_topic/,
    );
  });
});
