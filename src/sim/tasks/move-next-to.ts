// "move the red cube next to the blue cylinder": carry it over and set it down beside the other one.
import { footprintRadius, restingHalfHeight } from '../scene-spec.js';
import { horizontalDistance, isReleased, restsAtHeight } from '../success-predicates.js';
import { TableLayout, yBand } from '../table-layout.js';
import type { TaskSpec } from '../task-spec.js';

/** "Next to": footprints at most this far apart (edge to edge, measured between bounding circles). */
export const NEXT_TO_GAP = 0.05;

export const moveNextToTask: TaskSpec = {
  id: 'move-next-to',
  summary: 'set the named object down beside another named object',
  horizon: 200,
  setup(sampler, rng) {
    const target = sampler.namedObject({ target: true });
    const anchor = sampler.namedObject();
    const distractors = sampler.distractors(1);
    const layout = new TableLayout(rng);
    // On opposite sides to start with, so the task is never solved before it begins.
    const side = rng.next() < 0.5 ? 1 : -1;
    const objectPoses = {
      ...layout.placeObjects([target], yBand(-0.2 * side, -0.04 * side)),
      ...layout.placeObjects([anchor], yBand(0.08 * side, 0.2 * side)),
    };
    Object.assign(objectPoses, layout.placeObjects(distractors));
    const reach = footprintRadius(target.geom) + footprintRadius(anchor.geom);
    // Set it down on the side of the anchor it came from, clear of the anchor's corners.
    const [tx, ty] = objectPoses[target.name]!.position;
    const [ax, ay] = objectPoses[anchor.name]!.position;
    const away = Math.hypot(tx - ax, ty - ay);
    const gap = reach + 0.02;
    return {
      instruction: sampler.instruction(
        ['move the {target} next to the {anchor}', 'put the {target} beside the {anchor}'],
        [
          'place the {target} close to the {anchor}',
          'bring the {target} over by the {anchor}',
          'set the {target} down near the {anchor}',
        ],
        { target: target.label, anchor: anchor.label },
      ),
      scene: sampler.scene([target, anchor, ...distractors], []),
      objectPoses,
      fixturePoses: {},
      roles: {
        target: target.name,
        destination: anchor.name,
        obstacles: [],
        distractors: distractors.map((o) => o.name),
      },
      success: (s) =>
        horizontalDistance(s, target.name, anchor.name) <= reach + NEXT_TO_GAP &&
        restsAtHeight(s, target, 0) &&
        restsAtHeight(s, anchor, 0) &&
        isReleased(s, target),
      expertPlan: [
        { kind: 'pick', object: target.name, carryHeight: 0.16 },
        {
          kind: 'place',
          onto: anchor.name,
          offset: [
            ((tx - ax) / away) * gap,
            ((ty - ay) / away) * gap,
            restingHalfHeight(target.geom) - restingHalfHeight(anchor.geom) + 0.012,
          ],
          carryHeight: 0.16,
        },
      ],
    };
  },
};
