// The GCPG score (R_ext with the unreached-stage penalty, R_self over the policy's own steps, I_success
// from a label or the stages, per-task normalization, terms switched off) and the pair selection.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { PairSelector, type RankedEpisode } from '../src/gcpg/pair-selector.js';
import { DEFAULT_REWARD_CONFIG, type RewardConfig } from '../src/gcpg/reward-config.js';
import { TrajectoryScorer, type EpisodeEvidence } from '../src/gcpg/trajectory-scorer.js';
import { assertClose, lineReference, lineSpec, lineTrajectory } from './helpers/gcpg-trajectories.js';

const config = (change: Partial<RewardConfig> = {}): RewardConfig => ({
  ...DEFAULT_REWARD_CONFIG,
  weights: { self: 0.01, ext: 1, success: 5 },
  ...change,
});

const steps = (...logps: [number, number][]) => logps.map(([logp, flags]) => ({ logp, flags }));

describe('TrajectoryScorer', () => {
  it('R_ext is the product over stages of exp(-α·max(0, C − τ))', () => {
    // Stage costs 2, 0.25 and 1 against τ 0.5: excess 1.5 + 0 + 0.5.
    const { scores } = new TrajectoryScorer(lineSpec(), 'line#1', config({ alpha: 0.7 })).scoreAll([
      { episodeId: 'a', signals: lineReference(), policySteps: steps([-1, 0]) },
    ]);
    assertClose(scores[0]!.raw.ext, Math.exp(-0.7 * 2), 'R_ext');
    assert.deepEqual(scores[0]!.stageCosts, [2, 0.25, 1]);
  });

  it('gives unreached stages the penalty and caps reached ones at it, so getting further never scores lower', () => {
    const scorer = new TrajectoryScorer(
      lineSpec(),
      'line#1',
      config({ unreachedStageCost: 1.5, weights: { self: 0, ext: 1, success: 0 } }),
    );
    const { scores } = scorer.scoreAll([
      // reach done (cost 2, capped at 1.5), carry and rest never entered
      { episodeId: 'reached-one', signals: lineTrajectory([0, 0.1, 0.2], [0.2, 0.2, 0.2]) },
      // reach not done: 10 samples of 1 s cost 9 + 0.4, capped at 1.5
      {
        episodeId: 'reached-none',
        signals: lineTrajectory(Array<number>(10).fill(0), Array<number>(10).fill(0.2)),
      },
    ]);
    const [one, none] = scores;
    assert.deepEqual(one!.stageCosts, [1.5, 1.5, 1.5]);
    assert.deepEqual(none!.stageCosts, [1.5, 1.5, 1.5]);
    assertClose(one!.raw.ext, Math.exp(-3 * 1));
    // Getting a stage further ranks higher.
    const further = scorer.scoreAll([{ episodeId: 'b', signals: lineTrajectory([0.2, 0.3], [0.2, 0.3]) }])
      .scores[0]!;
    assert.ok(further.raw.ext! > one!.raw.ext!, `${further.raw.ext} > ${one!.raw.ext}`);
  });

  it('R_self is the mean (or sum) log-likelihood of the policy’s own steps; flagged steps are left out', () => {
    const evidence: EpisodeEvidence = {
      episodeId: 'a',
      signals: lineReference(),
      policySteps: steps([-1, 0], [-2, 0], [-9, 4], [-30, 8], [-3, 0]),
    };
    const mean = new TrajectoryScorer(lineSpec(), 'v', config()).scoreAll([evidence]).scores[0]!;
    assert.equal(mean.raw.self, -2);
    assert.equal(mean.policySteps, 3);
    const sum = new TrajectoryScorer(lineSpec(), 'v', config({ selfAggregate: 'sum' })).scoreAll([evidence])
      .scores[0]!;
    assert.equal(sum.raw.self, -6);
    const { failures } = new TrajectoryScorer(lineSpec(), 'v', config()).scoreAll([
      { ...evidence, episodeId: 'flagged', policySteps: steps([-1, 1], [-1, 2]) },
      { ...evidence, episodeId: 'unlogged', policySteps: [] },
    ]);
    assert.match(
      failures[0]!.error,
      /episode flagged: R_self needs the policy's own steps, and every logged step is flagged/,
    );
    assert.equal(failures[1]!.episodeId, 'unlogged');
  });

  it('I_success comes from the label, else from the stages all being done', () => {
    const scorer = new TrajectoryScorer(
      lineSpec(),
      'v',
      config({ weights: { self: 0, ext: 0, success: 1 } }),
    );
    const { scores } = scorer.scoreAll([
      {
        episodeId: 'labelled',
        signals: lineTrajectory([0], [0.5]),
        success: { value: true, source: 'label' },
      },
      { episodeId: 'done', signals: lineReference() },
      { episodeId: 'not-done', signals: lineTrajectory([0], [0.5]) },
      // With a label and only I_success on, no signals are needed at all.
      { episodeId: 'no-signals', success: { value: false, source: 'simulator' } },
    ]);
    assert.deepEqual(
      scores.map((s) => [s.episodeId, s.raw.success, s.successSource]),
      [
        ['labelled', 1, 'label'],
        ['done', 1, 'stages'],
        ['not-done', 0, 'stages'],
        ['no-signals', 0, 'simulator'],
      ],
    );
  });

  it('R = w_self·R_self + w_ext·R_ext + w_success·I_success; a zero weight switches a term off entirely', () => {
    const evidence: EpisodeEvidence = {
      episodeId: 'a',
      signals: lineReference(),
      policySteps: steps([-4, 0]),
      success: { value: true, source: 'label' },
    };
    const all = new TrajectoryScorer(lineSpec(), 'v', config()).scoreAll([evidence]).scores[0]!;
    assertClose(all.total, 0.01 * -4 + 1 * Math.exp(-2) + 5 * 1, 'total');
    const noExt = new TrajectoryScorer(
      lineSpec(),
      'v',
      config({ weights: { self: 0.01, ext: 0, success: 5 } }),
    );
    const { scores } = noExt.scoreAll([{ ...evidence, signals: undefined }]);
    assert.equal(scores[0]!.raw.ext, undefined);
    assert.equal(scores[0]!.evaluation, undefined);
    assertClose(scores[0]!.total, -0.04 + 5);
    assert.throws(
      () => new TrajectoryScorer(lineSpec(), 'v', config({ weights: { self: 0, ext: 0, success: 0 } })),
      /weights are all 0/,
    );
    assert.throws(() => new TrajectoryScorer(lineSpec(), 'v', config({ alpha: 0 })), /alpha must be > 0/);
  });

  it('normalizes each term across the task’s episodes and records how', () => {
    const evidence = (id: string, logp: number, success: boolean): EpisodeEvidence => ({
      episodeId: id,
      signals: lineReference(),
      policySteps: steps([logp, 0]),
      success: { value: success, source: 'label' },
    });
    const batch = [evidence('a', -1, true), evidence('b', -3, false)];
    const z = new TrajectoryScorer(lineSpec(), 'v', config({ normalization: 'zscore' })).scoreAll(batch);
    assert.deepEqual(z.config.normalizationStats.terms.self, { centre: -2, scale: 1 });
    assert.deepEqual(
      z.scores.map((s) => [s.terms.self, s.terms.success, s.terms.ext]),
      [
        [1, 1, 0],
        [-1, -1, 0],
      ],
    );
    // R_ext is equal across the batch: it contributes nothing to the ranking.
    assertClose(z.scores[0]!.total, 0.01 + 5);
    const minmax = new TrajectoryScorer(lineSpec(), 'v', config({ normalization: 'minmax' })).scoreAll(batch);
    assert.deepEqual(
      minmax.scores.map((s) => s.terms.self),
      [1, 0],
    );
    assert.equal(z.config.costSpec, 'v');
    assert.deepEqual(z.config.stages, [
      { name: 'reach', tau: 0.5 },
      { name: 'carry', tau: 0.5 },
      { name: 'rest', tau: 0.5 },
    ]);
  });
});

describe('PairSelector', () => {
  const episode = (id: string, score: number, fields: Partial<RankedEpisode> = {}): RankedEpisode => ({
    episodeId: id,
    taskId: 'lift',
    instruction: 'pick up the red cube',
    policyCheckpointId: 'p0',
    score,
    ...fields,
  });

  it('pairs the top m with the bottom m of each group, skipping pairs closer than the margin', () => {
    const selector = new PairSelector({ perSide: 2, minMargin: 0.5, byInitialState: true });
    const { pairs, groups } = selector.select([
      episode('a', 5),
      episode('b', 4.8),
      episode('c', 3),
      episode('d', 4.5),
      episode('e', 1),
    ]);
    // Ranked a 5, b 4.8, d 4.5, c 3, e 1: top {a, b} × bottom {c, e}.
    assert.deepEqual(
      pairs.map((p) => [p.chosen.episodeId, p.rejected.episodeId, Number(p.margin.toFixed(6))]),
      [
        ['a', 'c', 2],
        ['a', 'e', 4],
        ['b', 'c', 1.8],
        ['b', 'e', 3.8],
      ],
    );
    assert.deepEqual(
      groups[0]!.ranked.map((e) => [e.episodeId, e.rank]),
      [
        ['a', 1],
        ['b', 2],
        ['d', 3],
        ['c', 4],
        ['e', 5],
      ],
    );
    const close = new PairSelector({ perSide: 2, minMargin: 2.5, byInitialState: true }).select([
      episode('a', 5),
      episode('b', 4.8),
      episode('c', 3),
      episode('e', 1),
    ]);
    assert.deepEqual(
      close.pairs.map((p) => `${p.chosen.episodeId}>${p.rejected.episodeId}`),
      ['a>e', 'b>e'],
    );
    assert.equal(close.groups[0]!.tooClose, 2);
  });

  it('only pairs episodes sharing task, instruction, checkpoint and (where known) initial state', () => {
    const episodes = [
      episode('a', 5, { seed: 1 }),
      episode('b', 1, { seed: 1 }),
      episode('c', 4, { seed: 2 }),
      episode('d', 0, { seed: 2 }),
      episode('e', 9, { seed: 1, policyCheckpointId: 'p1' }),
      episode('f', -9, { seed: 1, instruction: 'lift the red cube' }),
      episode('g', 3),
      episode('h', 2),
    ];
    const bySeed = new PairSelector({ perSide: 3, minMargin: 0, byInitialState: true }).select(episodes);
    assert.deepEqual(bySeed.pairs.map((p) => `${p.chosen.episodeId}>${p.rejected.episodeId}`).sort(), [
      'a>b',
      'c>d',
      'g>h',
    ]);
    assert.equal(bySeed.groups.length, 5);
    const pooled = new PairSelector({ perSide: 1, minMargin: 0, byInitialState: false }).select(episodes);
    assert.deepEqual(pooled.pairs.map((p) => `${p.chosen.episodeId}>${p.rejected.episodeId}`).sort(), [
      'a>d',
    ]);
  });

  it('rejects bad options and scores', () => {
    assert.throws(
      () => new PairSelector({ perSide: 0, minMargin: 0, byInitialState: true }),
      /whole number ≥ 1/,
    );
    assert.throws(
      () => new PairSelector({ perSide: 1, minMargin: -1, byInitialState: true }),
      /margin must be ≥ 0/,
    );
    assert.throws(() => new PairSelector().select([episode('a', NaN)]), /episode a has no finite score/);
  });
});
