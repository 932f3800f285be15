// The node core on the simulator, recording as on a robot: a demonstration and a policy episode
// read back with the rosbag2 reader, and the CLI commands that run them.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { SIM_TOPICS, SimRunner } from '../src/app/sim-runner.js';
import { BagReader } from '../src/bag/bag-reader.js';
import { EpisodeIndex } from '../src/episode/episode-index.js';
import { EVENT_TOPIC, STEP_TOPIC, type PolicyStep } from '../src/episode/policy-step.js';
import { SIM_SIGNALS_TOPIC, decodeSimSignals } from '../src/gcpg/sim-signals-record.js';
import type { Policy } from '../src/policy/policy.js';
import { runCli } from './helpers/cli.js';
import { loadDefaultPolicy } from './helpers/default-policy.js';
import { scratchDir } from './helpers/policy-fixtures.js';

process.env.GRAPE_LOG = 'silent';

let policy: Policy;
let runner: SimRunner;
let dataDir: string;

before(async () => {
  policy = (await loadDefaultPolicy()).policy;
  dataDir = scratchDir('grape-sim-runner-');
  runner = await SimRunner.open({ dataDir, policy });
});

after(async () => {
  await runner.close();
  await policy.dispose();
});

async function readBack(bagPath: string) {
  const bag = await BagReader.open(join(dataDir, bagPath));
  const counts = Object.fromEntries(bag.info.topics.map((t) => [t.name, t.messageCount]));
  const steps: PolicyStep[] = [];
  const signals: ReturnType<typeof decodeSimSignals>[] = [];
  for await (const m of bag.decoded({ topics: [STEP_TOPIC, SIM_SIGNALS_TOPIC] })) {
    if (m.topic === STEP_TOPIC) steps.push(m.message as PolicyStep);
    else signals.push(decodeSimSignals((m.message as { data: string }).data, `message ${signals.length}`));
  }
  await bag.close();
  return { counts, steps, signals };
}

describe('simulator runner', () => {
  it("records the expert's demonstration as training data, readable by the rosbag2 reader", async () => {
    const r = await runner.runExpertEpisode({ taskId: 'lift', seed: 1000, split: 'in-domain' });
    assert.equal(r.success, true);
    const { counts, steps, signals } = await readBack(r.bagPath);
    assert.equal(steps.length, r.steps);
    assert.ok(steps.every((s) => s.flags === 0 && s.policy_id === 'expert:scripted'));
    assert.ok(steps.every((s) => s.features.length === policy.featureSize && s.tokens.length === 7));
    assert.equal(counts[SIM_TOPICS.camera], r.steps); // the frame each control step used
    assert.equal(counts[SIM_TOPICS.joints], r.steps);
    assert.equal(counts[SIM_SIGNALS_TOPIC], r.steps);
    assert.ok(counts[EVENT_TOPIC]! >= 2);
    assert.equal(signals.at(-1)!.signals.step, r.steps);
    assert.equal(signals[0]!.roles.target, signals.at(-1)!.roles.target);
    const index = EpisodeIndex.open(dataDir);
    const row = index.episode(r.episodeId);
    index.close();
    assert.ok(row);
    assert.equal(row.outcome, 'success');
    assert.equal(row.policyCheckpointId, 'expert:scripted');
    assert.equal(row.stepCount, r.steps);
  });

  it('runs the policy to the horizon and records a failure it could not avoid', async () => {
    const r = await runner.runPolicyEpisode({ taskId: 'lift', seed: 0, split: 'in-domain' });
    assert.equal(r.success, false); // an untrained head
    const { steps } = await readBack(r.bagPath);
    assert.equal(steps.length, 120); // lift's horizon
    assert.equal(policy.sampling.greedy, false); // the policy samples at its temperature
    assert.ok(
      steps.every(
        (s) => s.policy_id === policy.id && s.temperature === policy.sampling.temperature && s.logp < 0,
      ),
    );
    assert.equal(runner.status?.state, 'idle');
  });
});

describe('grape run --sim and grape sim demos', () => {
  it('record episodes and print per-task tables as JSON', () => {
    const dir = scratchDir('grape-run-cli-');
    const demos = runCli(['--data-dir', dir, 'sim', 'demos', '--task', 'lift', '--episodes', '1', '--json']);
    assert.equal(demos.status, 0, demos.stderr);
    const d = JSON.parse(demos.stdout) as { summary: { taskId: string; successes: number }[] };
    assert.deepEqual(
      d.summary.map((s) => [s.taskId, s.successes]),
      [['lift', 1]],
    );
    const run = runCli([
      '--data-dir',
      dir,
      'run',
      '--sim',
      '--task',
      'lift',
      '--episodes',
      '1',
      '--sample',
      '--json',
    ]);
    assert.equal(run.status, 0, run.stderr);
    const r = JSON.parse(run.stdout) as { policyId: string; episodes: { steps: number; seed: number }[] };
    assert.match(r.policyId, /^grape-default@1\//);
    assert.equal(r.episodes[0]!.seed, 0);
  });

  it('run needs --sim', () => {
    const r = runCli(['run', '--task', 'lift']);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /pass --sim/);
  });
});
