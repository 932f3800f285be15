// The evaluation statistics: Wilson intervals against published values, the exact McNemar test
// against the binomial distribution, per-task and overall summaries, and paired comparisons.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { exactMcNemarP } from '../src/eval/exact-mcnemar.js';
import {
  EVALUATION_FORMAT,
  parseEvaluationRun,
  type EvaluationEpisode,
  type EvaluationRun,
} from '../src/eval/evaluation-run.js';
import { summarizeEvaluation } from '../src/eval/evaluation-summary.js';
import { comparePaired } from '../src/eval/paired-comparison.js';
import { wilsonInterval } from '../src/eval/success-interval.js';

function episode(
  taskId: string,
  seed: number,
  success: boolean,
  extra: Partial<EvaluationEpisode> = {},
): EvaluationEpisode {
  return {
    taskId,
    seed,
    episodeId: `ep-${taskId}-${seed}`,
    success,
    steps: 100,
    collisions: 0,
    pathLength: 1,
    ...extra,
  };
}

function run(
  id: string,
  episodes: EvaluationEpisode[],
  split: EvaluationRun['split'] = 'in-domain',
): EvaluationRun {
  return {
    format: EVALUATION_FORMAT,
    id,
    createdAt: '2026-01-01T00:00:00.000Z',
    policy: { checkpointId: `m@1/${id}`, modelDir: '/models/m', chosenAs: 'named' },
    split,
    decoding: { greedy: true, temperature: 1, topK: 0, seed: 0 },
    episodes,
  };
}

/** `successes` as a 0/1 string per seed, e.g. '1101'. */
const outcomes = (taskId: string, successes: string) =>
  Array.from({ length: successes.length }, (_, seed) => episode(taskId, seed, successes[seed] === '1'));

describe('Wilson score interval', () => {
  // Newcombe (1998), "Two-sided confidence intervals for the single proportion": its examples, score method.
  const published: [number, number, number, number][] = [
    [81, 263, 0.2553, 0.3662],
    [15, 148, 0.0624, 0.1605],
    [0, 20, 0, 0.1611],
    [1, 29, 0.0061, 0.1718],
    [29, 29, 0.883, 1],
  ];
  for (const [x, n, low, high] of published)
    it(`${x}/${n} → [${low}, ${high}]`, () => {
      const i = wilsonInterval(x / n, n);
      assert.ok(Math.abs(i.low - low) < 5e-5, `low ${i.low}`);
      assert.ok(Math.abs(i.high - high) < 5e-5, `high ${i.high}`);
    });

  it('touches 0 and 1 exactly at 0% and 100% and narrows with n', () => {
    assert.equal(wilsonInterval(0, 50).low, 0);
    assert.equal(wilsonInterval(1, 50).high, 1);
    const w = (n: number) => {
      const i = wilsonInterval(0.5, n);
      return i.high - i.low;
    };
    assert.ok(w(400) < w(50) && w(50) < w(10));
  });

  it('rejects a rate outside [0, 1] or a trial count that is not a positive integer', () => {
    assert.throws(() => wilsonInterval(1.2, 10), /rate must lie in \[0, 1\], not 1.2/);
    assert.throws(() => wilsonInterval(Number.NaN, 10), /not NaN/);
    assert.throws(() => wilsonInterval(0.5, 0), /positive trial count, not 0/);
    assert.throws(() => wilsonInterval(0.5, 2.5), /positive trial count, not 2.5/);
  });
});

describe('exact McNemar test', () => {
  // Two-sided exact binomial tests at p = ½ (scipy.stats.binomtest) on the discordant pairs.
  const reference: [number, number, number][] = [
    [1, 9, 0.021484375],
    [3, 12, 0.03515625],
    [0, 6, 0.03125],
    [40, 60, 0.05688793364098089],
    [150, 180, 0.1102607870684355],
  ];
  for (const [b, c, p] of reference)
    it(`${b} vs ${c} discordant → p = ${p}`, () => {
      assert.ok(Math.abs(exactMcNemarP(b, c) - p) < 1e-12, String(exactMcNemarP(b, c)));
      assert.equal(exactMcNemarP(c, b), exactMcNemarP(b, c));
    });

  it('is 1 with no discordant pair or an even split, and rejects bad counts', () => {
    assert.equal(exactMcNemarP(0, 0), 1);
    assert.equal(exactMcNemarP(5, 5), 1);
    assert.throws(() => exactMcNemarP(-1, 3), /onlyA must be a non-negative count, not -1/);
    assert.throws(() => exactMcNemarP(2, 1.5), /onlyB must be a non-negative count, not 1.5/);
  });
});

describe('evaluation summary', () => {
  it('gives per-task rates with Wilson intervals, collision figures and means', () => {
    const episodes = [
      ...outcomes('lift', '1100'),
      episode('stack', 0, true, { collisions: 2, steps: 80, pathLength: 2 }),
      episode('stack', 1, false, { collisions: 0, steps: 200, pathLength: 3 }),
    ];
    const s = summarizeEvaluation(episodes);
    assert.deepEqual(
      s.tasks.map((t) => [t.taskId, t.episodes, t.successes, t.successRate]),
      [
        ['lift', 4, 2, 0.5],
        ['stack', 2, 1, 0.5],
      ],
    );
    assert.deepEqual(s.tasks[0]!.successInterval, wilsonInterval(0.5, 4));
    const stack = s.tasks[1]!;
    assert.equal(stack.collisionEpisodes, 1);
    assert.equal(stack.collisionRate, 0.5);
    assert.equal(stack.meanCollisions, 1);
    assert.equal(stack.meanSteps, 140);
    assert.equal(stack.meanPathLength, 2.5);
  });

  it('averages tasks for the overall row, whose interval is Wilson at that mean over all episodes', () => {
    // Equal counts: the mean over tasks is the pooled rate and the interval is Wilson on the pooled count.
    const equal = summarizeEvaluation([...outcomes('lift', '1111'), ...outcomes('stack', '1000')]);
    assert.equal(equal.overall.successRate, 5 / 8);
    assert.deepEqual(equal.overall.successInterval, wilsonInterval(5 / 8, 8));
    // Unequal counts: each task weighs the same (pooled would be 5/6).
    const unequal = summarizeEvaluation([...outcomes('lift', '1111'), ...outcomes('stack', '10')]);
    assert.equal(unequal.overall.successRate, 0.75);
    assert.equal(unequal.overall.tasks, 2);
    assert.equal(unequal.overall.episodes, 6);
    assert.deepEqual(unequal.overall.successInterval, wilsonInterval(0.75, 6));
  });

  it('refuses an empty evaluation', () => {
    assert.throws(() => summarizeEvaluation([]), /no episodes/);
  });
});

describe('paired comparison', () => {
  it('counts discordant pairs per task and overall, with exact McNemar p-values', () => {
    const a = run('a', [...outcomes('lift', '1100000000'), ...outcomes('stack', '1111100000')]);
    const b = run('b', [...outcomes('lift', '1111111110'), ...outcomes('stack', '1111100001')]);
    const c = comparePaired(a, b);
    assert.equal(c.split, 'in-domain');
    const lift = c.tasks.find((t) => t.taskId === 'lift')!;
    assert.deepEqual([lift.pairs, lift.onlyA, lift.onlyB, lift.rateA, lift.rateB], [10, 0, 7, 0.2, 0.9]);
    assert.ok(Math.abs(lift.difference - 0.7) < 1e-12);
    assert.equal(lift.pValue, exactMcNemarP(0, 7));
    const stack = c.tasks.find((t) => t.taskId === 'stack')!;
    assert.deepEqual([stack.onlyA, stack.onlyB, stack.pValue], [0, 1, 1]);
    assert.deepEqual([c.overall.pairs, c.overall.onlyA, c.overall.onlyB], [20, 0, 8]);
    assert.equal(c.overall.pValue, exactMcNemarP(0, 8));
    assert.ok(Math.abs(c.overall.rateA - 0.35) < 1e-12 && Math.abs(c.overall.rateB - 0.75) < 1e-12);
    assert.ok(Math.abs(c.overall.difference - 0.4) < 1e-12);
    // A against itself: nothing discordant.
    const self = comparePaired(a, a);
    assert.equal(self.overall.difference, 0);
    assert.equal(self.overall.pValue, 1);
  });

  it('pairs by (task, seed) whatever the order, and refuses sets that differ', () => {
    const a = run('a', outcomes('lift', '10'));
    const b = run('b', outcomes('lift', '01').reverse());
    assert.deepEqual([comparePaired(a, b).overall.onlyA, comparePaired(a, b).overall.onlyB], [1, 1]);
    assert.throws(
      () => comparePaired(a, run('c', outcomes('lift', '101'))),
      /ran different initial states \(only in a: none; only in c: lift seed 2\)/,
    );
    assert.throws(() => comparePaired(a, run('v', outcomes('lift', '10'), 'visual')), /ran different splits/);
    assert.throws(
      () => comparePaired(run('d', [...outcomes('lift', '1'), ...outcomes('lift', '0')]), a),
      /evaluation d ran lift seed 0 twice/,
    );
  });
});

describe('evaluation document', () => {
  it('reads back what was written and names the field that is wrong', () => {
    const r = run('eval-1', outcomes('lift', '10'));
    assert.deepEqual(parseEvaluationRun(JSON.parse(JSON.stringify(r)), 'x.json'), r);
    const bad = JSON.parse(JSON.stringify(r)) as { episodes: { steps: unknown }[] };
    bad.episodes[1]!.steps = -3;
    assert.throws(
      () => parseEvaluationRun(bad, 'x.json'),
      /x\.json\.episodes\[1\]\.steps: expected a step count, found -3/,
    );
    assert.throws(
      () => parseEvaluationRun({ ...r, split: 'mars' }, 'x.json'),
      /x\.json\.split: expected a split name/,
    );
    assert.throws(() => parseEvaluationRun({ ...r, format: 'v0' }, 'x.json'), /format is "v0"/);
    assert.throws(() => parseEvaluationRun({ ...r, episodes: [] }, 'x.json'), /episodes: empty/);
  });
});
