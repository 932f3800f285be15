// grape eval end to end on the simulator (one task, two seeds, to keep it short): the per-task and
// overall figures agree with the episodes it ran, the evaluation is stored and its episodes are in
// the index under a session of its own, greedy evaluation repeats exactly (what paired comparisons
// rely on), and bad requests fail before any episode runs, saying what was wrong.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { EvaluationRun } from '../src/eval/evaluation-run.js';
import { listEvaluations, loadEvaluation } from '../src/eval/evaluation-store.js';
import type { EvaluationSummary } from '../src/eval/evaluation-summary.js';
import { comparePaired } from '../src/eval/paired-comparison.js';
import { wilsonInterval } from '../src/eval/success-interval.js';
import { EpisodeIndex } from '../src/episode/episode-index.js';
import { runCli } from './helpers/cli.js';
import { scratchDir } from './helpers/policy-fixtures.js';

interface EvalJson extends EvaluationSummary {
  evaluation: Omit<EvaluationRun, 'episodes'> & { path: string };
  intervals: { task: string; overall: string };
  episodes: EvaluationRun['episodes'];
}

describe('grape eval', () => {
  const dataDir = scratchDir('grape-eval-cli-');

  it('evaluates the promoted checkpoint greedily and stores the evaluation', () => {
    const r = runCli(['--data-dir', dataDir, 'eval', '--task', 'lift', '--episodes', '2', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as EvalJson;
    const { evaluation, tasks, overall, episodes } = out;
    assert.equal(evaluation.policy.checkpointId, 'grape-default@1/base');
    assert.equal(evaluation.policy.chosenAs, 'promoted');
    assert.equal(evaluation.split, 'in-domain');
    assert.equal(evaluation.decoding.greedy, true);
    assert.deepEqual(
      episodes.map((e) => [e.taskId, e.seed]),
      [
        ['lift', 0],
        ['lift', 1],
      ],
    );
    const successes = episodes.filter((e) => e.success).length;
    assert.equal(tasks.length, 1);
    assert.deepEqual([tasks[0]!.taskId, tasks[0]!.episodes, tasks[0]!.successes], ['lift', 2, successes]);
    assert.deepEqual(tasks[0]!.successInterval, wilsonInterval(successes / 2, 2));
    assert.equal(tasks[0]!.meanSteps, (episodes[0]!.steps + episodes[1]!.steps) / 2);
    assert.equal(tasks[0]!.collisionEpisodes, episodes.filter((e) => e.collisions > 0).length);
    assert.deepEqual(overall.successInterval, tasks[0]!.successInterval);
    assert.match(out.intervals.task, /Wilson/);
    // Stored, and its episodes recorded in the index under the evaluation's own (ended) session.
    const stored = loadEvaluation(dataDir, evaluation.id);
    assert.equal(stored.episodes.length, 2);
    assert.ok(evaluation.path.endsWith(`evaluations/${evaluation.id}.json`));
    const index = EpisodeIndex.open(dataDir);
    try {
      // Shards record concurrently, so the index's start-time order need not be the batch's.
      const recorded = index.episodes({ sessionId: evaluation.sessionId! }).sort((a, b) => a.seed! - b.seed!);
      assert.deepEqual(
        recorded.map((e) => [e.id, e.policyCheckpointId, e.seed, e.outcome, e.stepCount]),
        episodes.map((e) => [
          e.episodeId,
          'grape-default@1/base',
          e.seed,
          e.success ? 'success' : 'failure',
          e.steps,
        ]),
      );
      const session = index.session(evaluation.sessionId!)!;
      assert.equal(session.notes, `evaluation ${evaluation.id}`);
      assert.ok(session.endedAt);
    } finally {
      index.close();
    }
  });

  it('repeats a greedy evaluation exactly, so two of them compare pair by pair', () => {
    const [stored] = listEvaluations(dataDir).runs;
    const r = runCli([
      '--data-dir',
      dataDir,
      'eval',
      '--task',
      'lift',
      '--episodes',
      '2',
      '--adapter',
      'base',
      '--label',
      'base head',
      '--against',
      stored!.id,
    ]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^against ${stored!.id}, paired on the same initial states:$`, 'm'));
    assert.match(r.stdout, /^mean over tasks\s+2\s+\d+%\s+\d+%\s+\+0\.0\s+0\s+0\s+1\.000$/m);
    assert.match(r.stdout, /^base head: grape-default@1\/base on the in-domain split, greedy, seeds 0–1$/m);
    assert.match(r.stdout, /^mean over tasks\s+2\s/m);
    assert.match(r.stdout, /95% CI per task: 95% Wilson score interval/);
    const [first, second] = listEvaluations(dataDir).runs;
    assert.ok(first && second);
    assert.equal(second.label, 'base head');
    assert.equal(second.policy.chosenAs, 'named');
    assert.deepEqual(
      second.episodes.map((e) => [e.success, e.steps, e.collisions, e.pathLength]),
      first.episodes.map((e) => [e.success, e.steps, e.collisions, e.pathLength]),
    );
    const c = comparePaired(first, second);
    assert.deepEqual([c.overall.pairs, c.overall.difference, c.overall.pValue], [2, 0, 1]);
  });

  it('refuses seeds past the evaluation set, an unknown adapter and an unknown split', () => {
    const against = runCli(['--data-dir', dataDir, 'eval', '--task', 'lift', '--against', 'eval-nope']);
    assert.equal(against.status, 1);
    assert.match(against.stderr, /grape eval: no evaluation eval-nope \(no .*eval-nope\.json\)/);
    const seeds = runCli([
      '--data-dir',
      dataDir,
      'eval',
      '--task',
      'lift',
      '--seed-start',
      '49',
      '--episodes',
      '2',
    ]);
    assert.equal(seeds.status, 1);
    assert.match(
      seeds.stderr,
      /grape eval: evaluation seeds are 0–49: 2 episodes from seed 49 would run past 49/,
    );
    const adapter = runCli([
      '--data-dir',
      dataDir,
      'eval',
      '--task',
      'lift',
      '--episodes',
      '1',
      '--adapter',
      'round-9',
    ]);
    assert.equal(adapter.status, 1);
    assert.match(adapter.stderr, /grape eval: .*round-9.*no such adapter/);
    const split = runCli(['--data-dir', dataDir, 'eval', '--split', 'mars']);
    assert.notEqual(split.status, 0);
    assert.match(split.stderr, /Invalid values:[\s\S]*split/);
    // None of them ran an episode or stored an evaluation.
    assert.equal(listEvaluations(dataDir).runs.length, 2);
  });
});
