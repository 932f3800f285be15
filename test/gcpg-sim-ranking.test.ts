// The built-in cost specs on real simulator episodes: on every task, the scripted expert's episodes
// complete every stage and rank above random-action episodes, by R_ext alone and by the full score.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { builtinCostSpec } from '../src/gcpg/builtin-cost-specs.js';
import { DEFAULT_REWARD_CONFIG } from '../src/gcpg/reward-config.js';
import { simTrajectorySignals } from '../src/gcpg/sim-trajectory-signals.js';
import { TrajectoryScorer, type EpisodeEvidence } from '../src/gcpg/trajectory-scorer.js';
import { MAX_ROTATION_STEP, MAX_TRANSLATION_STEP } from '../src/sim/action-space.js';
import { ScriptedExpert } from '../src/sim/scripted-expert.js';
import { SeededRandom } from '../src/sim/seeded-random.js';
import { SimEnvironment } from '../src/sim/sim-environment.js';
import type { StepSignals } from '../src/sim/step-signals.js';
import { TASKS } from '../src/sim/task-registry.js';

const SEEDS = [1000, 1001];

describe('built-in cost specs on simulator episodes', () => {
  let env: SimEnvironment;
  before(async () => {
    env = await SimEnvironment.create();
  });
  after(() => {
    env.close();
  });

  /**
   * One episode: the reset state and every step's signals, with the simulator's verdict. 'grasp-only'
   * is the expert until it holds the object, then standing still with it.
   */
  function rollout(task: string, seed: number, policy: 'expert' | 'random' | 'grasp-only'): EpisodeEvidence {
    const info = env.reset(task, seed);
    const expert = new ScriptedExpert(env.taskEpisode);
    const rng = new SeededRandom('gcpg random policy', task, seed);
    const steps: StepSignals[] = [env.signals()];
    let result;
    do {
      const holding = env.signals().gripper.grasped !== null;
      const action =
        policy === 'expert' || (policy === 'grasp-only' && !holding)
          ? expert.act(env.signals())
          : policy === 'grasp-only'
            ? [0, 0, 0, 0, 0, 0, 1]
            : [
                ...[0, 1, 2].map(() => rng.uniform(-MAX_TRANSLATION_STEP, MAX_TRANSLATION_STEP)),
                ...[0, 1, 2].map(() => rng.uniform(-MAX_ROTATION_STEP, MAX_ROTATION_STEP)),
                rng.next() < 0.5 ? 0 : 1,
              ];
      result = env.step(action);
      steps.push(result.signals);
    } while (!result.done);
    return {
      episodeId: `${policy}-${seed}`,
      signals: simTrajectorySignals(steps, info.roles),
      success: { value: result.success, source: 'simulator' },
    };
  }

  for (const task of TASKS.map((t) => t.id)) {
    it(`${task}: expert episodes complete every stage and rank above random ones`, () => {
      const spec = builtinCostSpec(task)!;
      const experts = SEEDS.map((seed) => rollout(task, seed, 'expert'));
      const randoms = SEEDS.map((seed) => rollout(task, seed, 'random'));
      const episodes = [...experts, ...randoms];
      for (const e of experts) assert.equal(e.success!.value, true, `${e.episodeId} solves ${task}`);

      const byExt = new TrajectoryScorer(spec, 'builtin', {
        ...DEFAULT_REWARD_CONFIG,
        weights: { self: 0, ext: 1, success: 0 },
      }).scoreAll(episodes);
      const full = new TrajectoryScorer(spec, 'builtin', {
        ...DEFAULT_REWARD_CONFIG,
        weights: { ...DEFAULT_REWARD_CONFIG.weights, self: 0 },
      }).scoreAll(episodes);
      for (const { scores, failures } of [byExt, full]) {
        assert.deepEqual(failures, []);
        const total = (id: string) => scores.find((s) => s.episodeId === id)!.total;
        const worstExpert = Math.min(...experts.map((e) => total(e.episodeId)));
        const bestRandom = Math.max(...randoms.map((e) => total(e.episodeId)));
        assert.ok(
          worstExpert > bestRandom,
          `${task}: worst expert ${worstExpert} > best random ${bestRandom}`,
        );
      }
      for (const s of byExt.scores.filter((s) => s.episodeId.startsWith('expert'))) {
        assert.equal(
          s.evaluation!.completed,
          spec.stages.length,
          `${task} ${s.episodeId} completes every stage`,
        );
      }
    });
  }

  it('ranks a failure that got further above one that did not (place-on-plate: grasped, never carried)', () => {
    const spec = builtinCostSpec('place-on-plate')!;
    const episodes = [
      rollout('place-on-plate', 1002, 'expert'),
      rollout('place-on-plate', 1002, 'grasp-only'),
      rollout('place-on-plate', 1002, 'random'),
    ];
    const { scores } = new TrajectoryScorer(spec, 'builtin', {
      ...DEFAULT_REWARD_CONFIG,
      weights: { self: 0, ext: 1, success: 0 },
    }).scoreAll(episodes);
    const [expert, graspOnly, random] = scores;
    assert.equal(graspOnly!.evaluation!.completed, 1, 'the grasp is done, the carry is not');
    assert.ok(expert!.total > graspOnly!.total, `${expert!.total} > ${graspOnly!.total}`);
    assert.ok(graspOnly!.total > random!.total, `${graspOnly!.total} > ${random!.total}`);
  });
});
