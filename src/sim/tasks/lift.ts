// "pick up the red cube": grasp the named object and hold it up.
import { isLifted } from '../success-predicates.js';
import { TableLayout } from '../table-layout.js';
import type { TaskSpec } from '../task-spec.js';

export const LIFT_HEIGHT = 0.08;

export const liftTask: TaskSpec = {
  id: 'lift',
  summary: 'pick up the named object and hold it at least 8 cm above the table',
  horizon: 120,
  setup(sampler, rng) {
    const target = sampler.namedObject({ target: true });
    const distractors = sampler.distractors(2);
    const objectPoses = new TableLayout(rng).placeObjects([target, ...distractors]);
    return {
      instruction: sampler.instruction(
        ['pick up the {target}', 'lift the {target}'],
        [
          'raise the {target} off the table',
          'grab the {target} and hold it up',
          'could you take the {target} and lift it',
        ],
        { target: target.label },
      ),
      scene: sampler.scene([target, ...distractors], []),
      objectPoses,
      fixturePoses: {},
      roles: { target: target.name, obstacles: [], distractors: distractors.map((o) => o.name) },
      success: (s) => isLifted(s, target, LIFT_HEIGHT),
      expertPlan: [
        { kind: 'pick', object: target.name, carryHeight: 0.2 },
        { kind: 'lift', height: 0.2 },
      ],
    };
  },
};
