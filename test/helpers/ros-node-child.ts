// A grape_policy process for test/ros-shutdown.test.ts to signal: started the way policy_node starts
// (runPolicyNode, signal handlers and all) on the fake ROS graph with live timers and the wall clock.
// It starts an episode, feeds camera frames and joint states at 30 Hz, and prints one line per
// event: "episode <id>", "step <n>" and "action <json>" for every action published.
import { FakeRosGraph } from './fake-rclnodejs.js';
import { fixtureMessages, pandaJointsCdr } from './ros-node-harness.js';
import { runPolicyNode } from '../../src/ros/policy-node-process.js';

const [dataDir, modelDir] = process.argv.slice(2);
if (!dataDir || !modelDir) throw new Error('usage: ros-node-child.ts <data-dir> <model-dir>');

const wallClock = () => BigInt(Date.now()) * 1_000_000n;
const print = (line: string) => process.stdout.write(`${line}\n`);
const graph = new FakeRosGraph({
  realTimers: true,
  clock: wallClock,
  overrides: {
    model: modelDir,
    data_dir: dataDir,
    dry_run: false,
    camera_topic: '/image',
    task_id: 'lift',
    instruction: 'lift the red cube',
  },
  onPublish: (topic, message) => {
    if (topic === '/servo_node/delta_twist_cmds') print(`action ${JSON.stringify(message)}`);
    if (topic === '/grape_policy/status') print(`step ${(message as { step: number }).step}`);
  },
});
await runPolicyNode(graph.rclnodejs());
print(`calls ${graph.calls.join(',')}`);

const [image] = await fixtureMessages('ait-images-sqlite3', '/image');
let i = 0;
const feed = () => {
  graph.deliver('/image', image!.data);
  graph.deliver('/joint_states', pandaJointsCdr(wallClock(), i++));
};
feed();
setInterval(feed, 33);
const started = await graph.call('/grape_policy/start_episode', {
  task_id: '',
  instruction: '',
  operator: '',
  seed: -1n,
});
if (started.success !== true) throw new Error(String(started.message));
print(`episode ${String(started.episode_id)}`);
