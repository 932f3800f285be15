// A recorder process for test/episode-recovery.test.ts to kill: records one episode until it is
// killed (joint states numbered 0, 1, 2… and a step every 10th), printing "episode <id>" once and
// "on-disk <n>" whenever more messages have reached the disk.
import { EpisodeRecorder } from '../../src/episode/episode-recorder.js';
import { timeFromNanoseconds } from '../../src/messages/ros-messages.js';

const [dataDir] = process.argv.slice(2);
if (!dataDir) throw new Error('usage: recording-child.ts <data-dir>');

const T0 = 1_764_000_000_000_000_000n;
const recorder = await EpisodeRecorder.open({
  dataDir,
  topics: [{ name: '/joint_states', type: 'sensor_msgs/msg/JointState' }],
  chunkSize: 16 << 10,
  chunkMaxAgeMs: 50,
  recover: false,
});
const episode = await recorder.startEpisode(
  { taskId: 'crash-test', instruction: 'record until killed', policyId: 'p' },
  T0,
);
process.stdout.write(`episode ${episode.id}\n`);

let i = 0;
let reported = 0;
setInterval(() => {
  for (let k = 0; k < 25; k++, i++) {
    const t = T0 + BigInt(i + 1) * 1_000_000n;
    const header = { stamp: timeFromNanoseconds(t), frame_id: '' };
    recorder.record('/joint_states', { header, name: ['j'], position: [i], velocity: [], effort: [] }, t);
    if (i % 10 === 0) {
      recorder.step(
        {
          header,
          step: i / 10,
          policy_id: 'p',
          tokens: [1, 2, 3],
          action: [0, 0, 0],
          logp: -1,
          logp_dims: [],
          temperature: 1,
          top_k: 0,
          flags: 0,
          features: new Float32Array(64),
        },
        t,
      );
    }
  }
  const onDisk = recorder.stats()?.messagesOnDisk ?? 0;
  if (onDisk !== reported) {
    reported = onDisk;
    process.stdout.write(`on-disk ${onDisk}\n`);
  }
}, 2);
