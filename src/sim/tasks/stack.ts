// "stack the red cube on the blue cube".
import { restingHalfHeight } from '../scene-spec.js';
import { horizontalDistance, isReleased, restsAtHeight } from '../success-predicates.js';
import { TableLayout } from '../table-layout.js';
import type { TaskSpec } from '../task-spec.js';

export const stackTask: TaskSpec = {
  id: 'stack',
  summary: 'stack the named object on top of the named cube',
  horizon: 200,
  setup(sampler, rng) {
    const target = sampler.namedObject({ target: true });
    const base = sampler.namedObject({ shapes: ['cube'] });
    const distractors = sampler.distractors(1);
    const objectPoses = new TableLayout(rng).placeObjects([target, base, ...distractors]);
    const baseTop = 2 * restingHalfHeight(base.geom);
    return {
      instruction: sampler.instruction(
        ['stack the {target} on the {base}', 'put the {target} on top of the {base}'],
        [
          'place the {target} onto the {base} to make a tower',
          'build a stack with the {target} above the {base}',
          'set the {target} on the {base}',
        ],
        { target: target.label, base: base.label },
      ),
      scene: sampler.scene([target, base, ...distractors], []),
      objectPoses,
      fixturePoses: {},
      roles: {
        target: target.name,
        destination: base.name,
        obstacles: [],
        distractors: distractors.map((o) => o.name),
      },
      success: (s) =>
        horizontalDistance(s, target.name, base.name) <= base.geom.size[0] &&
        restsAtHeight(s, target, baseTop) &&
        restsAtHeight(s, base, 0) &&
        isReleased(s, target),
      expertPlan: [
        { kind: 'pick', object: target.name, carryHeight: 0.18 },
        {
          kind: 'place',
          onto: base.name,
          offset: [0, 0, restingHalfHeight(base.geom) + restingHalfHeight(target.geom) + 0.012],
          carryHeight: 0.18,
        },
      ],
    };
  },
};
