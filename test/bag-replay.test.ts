// Replay: a recorded session bag → one replayed episode per segment (by episode events, by
// service introspection events, by pauses), camera and joints copied as they are, /grape/step
// rewritten with features and per-step log-likelihoods recomputed by the real default policy
// (generated ONNX encoder in onnxruntime-node, mlp head in the native addon).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { BagFormatError } from '../src/bag/bag-errors.js';
import { BagReader, type BagMessage } from '../src/bag/bag-reader.js';
import { replayBag, type ReplayPolicy, type ReplayReport } from '../src/bag/bag-replay.js';
import type { SegmentBy } from '../src/bag/episode-segments.js';
import { policyForReplay } from '../src/bag/policy-replay.js';
import { EpisodeIndex } from '../src/episode/episode-index.js';
import { StepFlag, type PolicyStep } from '../src/episode/policy-step.js';
import type { Image, JointState } from '../src/messages/ros-messages.js';
import type { Policy } from '../src/policy/policy.js';
import { loadDefaultPolicy } from './helpers/default-policy.js';
import { checkRosbag2MetadataWithPython } from './helpers/rosbag2-metadata-check.js';
import { SESSION_T0, writeSessionBag, type SessionBag, type SessionEpisode } from './helpers/session-bag.js';

const scratch = mkdtempSync(join(tmpdir(), 'grape-replay-'));
let policy: Policy;
let replayPolicy: ReplayPolicy;
let modelDir: string;
before(async () => {
  const loaded = await loadDefaultPolicy();
  policy = loaded.policy;
  modelDir = loaded.dir;
  replayPolicy = policyForReplay(policy, { encodeBatch: 8 });
});
after(async () => {
  await policy.dispose();
  rmSync(scratch, { recursive: true, force: true });
  rmSync(modelDir, { recursive: true, force: true });
});

const EPISODES: SessionEpisode[] = [
  { start: 1, end: 3, outcome: 'success', instruction: 'pick up the red cube' },
  { start: 6, end: 8, outcome: 'failure', instruction: 'stack the blocks' },
];
const S = 1_000_000_000n;

function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tolerance: number,
  what: string,
): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    const ok = Math.abs(actual[i]! - expected[i]!) <= tolerance * Math.max(1, Math.abs(expected[i]!));
    assert.ok(ok, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

let n = 0;
async function replay(
  session: SessionBag,
  segmentBy: SegmentBy,
  extra: { actionTopic?: string; instruction?: string } = {},
): Promise<{ report: ReplayReport; dataDir: string }> {
  const dataDir = join(scratch, `data-${n++}`);
  const bag = await BagReader.open(session.path);
  const progress: number[] = [];
  try {
    const report = await replayBag({
      bag,
      dataDir,
      policy: replayPolicy,
      instruction: extra.instruction ?? 'do the task',
      segmentBy,
      batchSize: 4,
      onProgress: (done) => progress.push(done),
      ...(extra.actionTopic ? { actionTopic: extra.actionTopic } : {}),
    });
    assert.ok(progress.length > 0 && progress.at(-1) === report.messagesRead, 'progress reaches the end');
    return { report, dataDir };
  } finally {
    await bag.close();
  }
}

describe('replay', async () => {
  const session = await writeSessionBag(join(scratch, 'session.mcap'), EPISODES, {
    policyId: 'grape-default@1/base',
    withServices: true,
  });
  const source = await BagReader.open(session.path);
  const sourceMessages = await collect(source.messages({ topics: ['/camera/image_raw', '/joint_states'] }));
  await source.close();
  const inWindow = (m: BagMessage, e: SessionEpisode, end: bigint) =>
    m.logTime >= SESSION_T0 + BigInt(e.start) * S && m.logTime <= end;

  it('by episode events: one episode each, outcome and instruction from the events, everything recomputed', async () => {
    const { report, dataDir } = await replay(session, 'topic');
    assert.equal(report.episodes.length, 2);
    const index = EpisodeIndex.open(dataDir);
    try {
      for (const [k, replayed] of report.episodes.entries()) {
        const e = replayed.episode;
        const expected = EPISODES[k]!;
        assert.equal(e.source, 'replay');
        assert.equal(e.sourceBag, session.path);
        assert.equal(e.status, 'complete');
        assert.equal(e.outcome, expected.outcome);
        assert.equal(e.instruction, expected.instruction, 'the bag says which instruction ran');
        assert.equal(e.taskId, `task-${k}`);
        assert.equal(e.policyCheckpointId, policy.id);
        const sourceSteps = session.steps.filter(
          (s) =>
            s.time >= SESSION_T0 + BigInt(expected.start) * S &&
            s.time <= SESSION_T0 + BigInt(expected.end) * S,
        );
        assert.equal(replayed.steps, sourceSteps.length);
        assert.equal(e.stepCount, sourceSteps.length);
        assert.equal(replayed.policySteps, sourceSteps.filter((s) => s.flags === 0).length);
        assert.equal(replayed.stepsWithoutObservation, 0);

        const bagDir = join(dataDir, e.bagPath);
        assert.deepEqual(checkRosbag2MetadataWithPython(join(bagDir, 'metadata.yaml')), []);
        const out = await BagReader.open(bagDir);
        try {
          const steps = await collect(out.decoded<PolicyStep>({ topics: ['/grape/step'] }));
          assert.deepEqual(
            steps.map((s) => [
              s.logTime,
              Array.from(s.message.tokens),
              Array.from(s.message.action),
              s.message.flags,
            ]),
            sourceSteps.map((s) => [s.time, Array.from(s.tokens), Array.from(s.action), s.flags]),
            'tokens, actions and flags are the logged ones, never re-tokenized',
          );
          assert.deepEqual(
            steps.map((s) => s.message.step),
            steps.map((_, i) => i),
          );
          // Each step's features are what the policy's own step() computes for its observation: the
          // latest frame and joint state at or before the step.
          const frames = sourceMessages.filter((m) => m.topic === '/camera/image_raw');
          const jointMsgs = sourceMessages.filter((m) => m.topic === '/joint_states');
          const sourceBag = await BagReader.open(session.path);
          const decodeImage = sourceBag.decoder('/camera/image_raw');
          const decodeJoints = sourceBag.decoder('/joint_states');
          const observations = steps.map((s) => ({
            image: decodeImage(frames.filter((m) => m.logTime <= s.logTime).at(-1)!.data) as Image,
            joints: decodeJoints(jointMsgs.filter((m) => m.logTime <= s.logTime).at(-1)!.data) as JointState,
          }));
          await sourceBag.close();
          for (const [i, s] of steps.entries()) {
            const own = await policy.step(observations[i]!, expected.instruction);
            assertClose(s.message.features, own.features, 1e-5, `step ${i} features`);
          }
          // The logp written is the untempered log-likelihood of the logged tokens: given the cached
          // features exactly, and given the observations (the policy's own encoding) closely.
          const given = (
            await policy.logLikelihood(
              steps.map((s) => ({
                tokens: s.message.tokens,
                features: Float32Array.from(s.message.features),
              })),
            )
          ).steps;
          steps.forEach((s, i) => {
            assert.equal(s.message.logp, given[i]);
          });
          const fromObservations = (
            await policy.logLikelihood(
              steps.map((s, i) => ({
                tokens: s.message.tokens,
                observation: observations[i]!,
                instruction: expected.instruction,
              })),
            )
          ).steps;
          assertClose(
            Float32Array.from(steps, (s) => s.message.logp),
            fromObservations,
            1e-4,
            'logp',
          );
          assert.ok(steps.every((s) => s.message.logp < 0 && s.message.policy_id === policy.id));
          const own = steps.filter((s) => s.message.flags === 0);
          assert.ok(
            Math.abs(replayed.meanLogp - own.reduce((a, s) => a + s.message.logp, 0) / own.length) < 1e-4,
          );
          // The bag logged logp 0 under this same policy id: the gap is the mean |logp|.
          assert.ok(
            Math.abs(
              replayed.loggedLogpGap! -
                steps.reduce((a, s) => a + Math.abs(s.message.logp), 0) / steps.length,
            ) < 1e-4,
          );

          // Camera and joints within the episode are copied byte for byte.
          const copied = await collect(out.messages({ topics: ['/camera/image_raw', '/joint_states'] }));
          const last = steps.at(-1)!.logTime;
          const windowEnd = SESSION_T0 + BigInt(expected.end) * S + 5_000_000n;
          const expectedCopy = sourceMessages.filter((m) => inWindow(m, expected, windowEnd));
          assert.ok(last <= windowEnd);
          assert.deepEqual(
            copied.map((m) => [m.topic, m.logTime, Buffer.from(m.data)]).sort(),
            expectedCopy.map((m) => [m.topic, m.logTime, Buffer.from(m.data)]).sort(),
          );
        } finally {
          await out.close();
        }
      }
      assert.equal(index.episodes({ status: ['complete'] }).length, 2);
    } finally {
      index.close();
    }
  });

  it('by service introspection events: the same episodes, outcomes from the end_episode requests', async () => {
    const { report } = await replay(session, 'service');
    assert.deepEqual(
      report.episodes.map((e) => [e.episode.outcome, e.episode.instruction, e.steps]),
      [
        ['success', 'pick up the red cube', session.steps.filter((s) => s.time < SESSION_T0 + 4n * S).length],
        ['failure', 'stack the blocks', session.steps.filter((s) => s.time > SESSION_T0 + 4n * S).length],
      ],
    );
  });

  it('by pauses in the step stream, with the instruction given', async () => {
    const { report } = await replay(session, 'gap', { instruction: 'tidy up' });
    assert.deepEqual(
      report.episodes.map((e) => [e.episode.outcome, e.episode.instruction, e.episode.taskId, e.steps]),
      [
        [undefined, 'tidy up', 'replay', session.steps.filter((s) => s.time < SESSION_T0 + 4n * S).length],
        [undefined, 'tidy up', 'replay', session.steps.filter((s) => s.time > SESSION_T0 + 4n * S).length],
      ],
    );
  });

  it('a bag with continuous actions only: tokens come from the policy tokenizer', async () => {
    const actions = await writeSessionBag(join(scratch, 'actions.mcap'), EPISODES.slice(0, 1), {
      policyId: 'someone else',
      actionsAsArray: true,
      actionOf: (tokens) => policy.actions.decode(tokens),
    });
    const { report, dataDir } = await replay(actions, 'gap', { actionTopic: '/action' });
    assert.equal(report.episodes.length, 1);
    const [episode] = report.episodes;
    assert.equal(episode!.policySteps, actions.steps.length, 'no flags on external actions');
    assert.equal(episode!.loggedLogpGap, undefined);
    const out = await BagReader.open(join(dataDir, episode!.episode.bagPath));
    const steps = await collect(out.decoded<PolicyStep>({ topics: ['/grape/step'] }));
    await out.close();
    assert.deepEqual(
      steps.map((s) => Array.from(s.message.tokens)),
      actions.steps.map((s) => Array.from(policy.actions.encode(s.action).tokens)),
    );
    // Bin centres quantize back to their own tokens, except the binary gripper (two levels).
    assert.deepEqual(
      steps.map((s) => Array.from(s.message.tokens).slice(0, 6)),
      actions.steps.map((s) => Array.from(s.tokens).slice(0, 6)),
    );
    assert.equal(steps[0]!.message.flags, 0);
  });

  it('clear errors: no step source, no service events, a topic of the wrong type', async () => {
    const bag = await BagReader.open(session.path);
    try {
      const run = (over: Partial<Parameters<typeof replayBag>[0]>) =>
        replayBag({
          bag,
          dataDir: join(scratch, 'errors'),
          policy: replayPolicy,
          instruction: 'i',
          segmentBy: 'topic',
          ...over,
        });
      await assert.rejects(run({ actionTopic: '/nope' }), /no topic \/nope/);
      await assert.rejects(
        run({ cameraTopic: '/joint_states' }),
        /\/joint_states is a sensor_msgs\/msg\/JointState, not sensor_msgs\/msg\/Image or sensor_msgs\/msg\/CompressedImage/,
      );
    } finally {
      await bag.close();
    }
    const plain = await writeSessionBag(join(scratch, 'plain.mcap'), EPISODES, { policyId: 'x' });
    const noServices = await BagReader.open(plain.path);
    try {
      await assert.rejects(
        replayBag({
          bag: noServices,
          dataDir: join(scratch, 'errors'),
          policy: replayPolicy,
          instruction: 'i',
          segmentBy: 'service',
        }),
        (e: Error) =>
          e instanceof BagFormatError && /no start_episode\/end_episode service events/.test(e.message),
      );
    } finally {
      await noServices.close();
    }
  });

  it('steps before the first camera frame are left out and counted', async () => {
    const late = await writeSessionBag(
      join(scratch, 'late-camera.mcap'),
      [{ start: 0, end: 2, outcome: 'success', instruction: 'i' }],
      {
        policyId: 'x',
        cameraFromMs: 500,
      },
    );
    const { report } = await replay(late, 'topic');
    const before = late.steps.filter((s) => s.time < SESSION_T0 + 500_000_000n).length;
    assert.ok(before > 0);
    assert.equal(report.episodes[0]!.stepsWithoutObservation, before);
    assert.equal(report.episodes[0]!.steps, late.steps.length - before);
    assert.ok(late.steps.some((s) => s.flags === StepFlag.HOLD));
  });
});
