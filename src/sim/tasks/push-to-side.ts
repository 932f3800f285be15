// "push the red cube to the left": slide it across the table without lifting it. Left and right are
// the robot's (+y is its left; the camera faces the robot, so its left is the image's right).
import { isReleased, restsAtHeight } from '../success-predicates.js';
import { TableLayout, yBand } from '../table-layout.js';
import type { TaskSpec } from '../task-spec.js';

/** The object's centre must end at least this far to the side of the table's centre line. */
export const PUSH_GOAL_Y = 0.17;

export const pushToSideTask: TaskSpec = {
  id: 'push-to-side',
  summary: "push the named object to the robot's left or right side of the table without lifting it",
  horizon: 150,
  setup(sampler, rng) {
    const side = rng.next() < 0.5 ? 1 : -1;
    const target = sampler.namedObject({ target: true });
    const distractors = sampler.distractors(1);
    const layout = new TableLayout(rng);
    const objectPoses = layout.placeObjects([target], { xMin: 0.42, xMax: 0.6, yMin: -0.08, yMax: 0.08 });
    // The distractor stays off the push path: on the other side.
    Object.assign(objectPoses, layout.placeObjects(distractors, yBand(-0.08 * side, -0.2 * side)));
    const y0 = objectPoses[target.name]!.position[1];
    const sideWord = side > 0 ? 'left' : 'right';
    return {
      instruction: sampler.instruction(
        ['push the {target} to the {side}', 'push the {target} to the {side} side of the table'],
        [
          'slide the {target} over to the {side}',
          'nudge the {target} towards the {side} edge',
          'shove the {target} {side}ward',
        ],
        { target: target.label, side: sideWord },
      ),
      scene: sampler.scene([target, ...distractors], []),
      objectPoses,
      fixturePoses: {},
      roles: { target: target.name, obstacles: [], distractors: distractors.map((o) => o.name) },
      success: (s) =>
        side * s.objects[target.name]!.position[1] >= PUSH_GOAL_Y &&
        restsAtHeight(s, target, 0) &&
        isReleased(s, target),
      expertPlan: [
        {
          kind: 'push',
          object: target.name,
          direction: [0, side, 0],
          distance: PUSH_GOAL_Y - side * y0 + 0.03,
        },
      ],
    };
  },
};
