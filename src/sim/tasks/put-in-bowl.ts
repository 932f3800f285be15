// "put the red cube in the blue bowl".
import { restingHalfHeight } from '../scene-spec.js';
import { horizontalDistance, isReleased } from '../success-predicates.js';
import { fixturePose, TableLayout } from '../table-layout.js';
import type { TaskSpec } from '../task-spec.js';

export const putInBowlTask: TaskSpec = {
  id: 'put-in-bowl',
  summary: 'put the named object into the named bowl',
  horizon: 200,
  setup(sampler, rng) {
    const target = sampler.namedObject({ target: true });
    const bowl = sampler.namedFixture('bowl');
    const distractors = sampler.distractors(2);
    const layout = new TableLayout(rng);
    const [bx, by] = layout.place(bowl.radius + 0.02);
    const objectPoses = layout.placeObjects([target, ...distractors]);
    return {
      instruction: sampler.instruction(
        ['put the {target} in the {bowl}', 'place the {target} into the {bowl}'],
        [
          'drop the {target} inside the {bowl}',
          'the {target} belongs in the {bowl}',
          'get the {target} into the {bowl}',
        ],
        { target: target.label, bowl: bowl.label },
      ),
      scene: sampler.scene([target, ...distractors], [bowl]),
      objectPoses,
      fixturePoses: { [bowl.name]: fixturePose(bx, by) },
      roles: {
        target: target.name,
        destination: bowl.name,
        obstacles: [],
        distractors: distractors.map((o) => o.name),
      },
      success: (s) =>
        horizontalDistance(s, target.name, bowl.name) <= bowl.radius &&
        s.objects[target.name]!.position[2] < bowl.height &&
        isReleased(s, target),
      expertPlan: [
        { kind: 'pick', object: target.name, carryHeight: 0.2 },
        {
          kind: 'place',
          onto: bowl.name,
          offset: [0, 0, bowl.supportHeight + restingHalfHeight(target.geom) + 0.025],
          carryHeight: 0.2,
        },
      ],
    };
  },
};
