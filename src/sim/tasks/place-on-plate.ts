// "put the red cube on the green plate".
import { restingHalfHeight } from '../scene-spec.js';
import { isPlacedOn } from '../success-predicates.js';
import { fixturePose, TableLayout } from '../table-layout.js';
import type { TaskSpec } from '../task-spec.js';

export const placeOnPlateTask: TaskSpec = {
  id: 'place-on-plate',
  summary: 'put the named object on the named plate',
  horizon: 200,
  setup(sampler, rng) {
    const target = sampler.namedObject({ target: true });
    const plate = sampler.namedFixture('plate');
    const distractors = sampler.distractors(2);
    const layout = new TableLayout(rng);
    const [px, py] = layout.place(plate.radius);
    const objectPoses = layout.placeObjects([target, ...distractors]);
    return {
      instruction: sampler.instruction(
        ['put the {target} on the {plate}', 'place the {target} on the {plate}'],
        [
          'set the {target} down on top of the {plate}',
          'move the {target} onto the {plate}',
          'the {target} goes on the {plate}',
        ],
        { target: target.label, plate: plate.label },
      ),
      scene: sampler.scene([target, ...distractors], [plate]),
      objectPoses,
      fixturePoses: { [plate.name]: fixturePose(px, py) },
      roles: {
        target: target.name,
        destination: plate.name,
        obstacles: [],
        distractors: distractors.map((o) => o.name),
      },
      success: (s) => isPlacedOn(s, target, plate, 0.015),
      expertPlan: [
        { kind: 'pick', object: target.name, carryHeight: 0.18 },
        {
          kind: 'place',
          onto: plate.name,
          offset: [0, 0, plate.supportHeight + restingHalfHeight(target.geom) + 0.012],
          carryHeight: 0.18,
        },
      ],
    };
  },
};
