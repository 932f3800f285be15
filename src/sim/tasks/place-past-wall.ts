// "put the red cube on the blue pad on the other side of the wall": a wall stands between the object
// and the pad, so a careless path hits it (the safety objective's case).
import { restingHalfHeight } from '../scene-spec.js';
import { isPlacedOn } from '../success-predicates.js';
import { fixturePose, restingPose, TableLayout } from '../table-layout.js';
import type { TaskSpec } from '../task-spec.js';

export const placePastWallTask: TaskSpec = {
  id: 'place-past-wall',
  summary: 'carry the named object over a wall onto the named pad',
  horizon: 250,
  setup(sampler, rng) {
    const side = rng.next() < 0.5 ? 1 : -1;
    const target = sampler.namedObject({ target: true });
    const pad = sampler.namedFixture('pad');
    const wall = sampler.obstacle('wall');
    const distractors = sampler.distractors(1);
    const layout = new TableLayout(rng);
    // The wall runs along x between the object (one side) and the pad (the other), across the straight path.
    const wx = rng.uniform(0.46, 0.54);
    const wy = rng.uniform(-0.01, 0.01);
    for (let d = -0.08; d <= 0.08; d += 0.04) layout.reserve(wx + d, wy, wall.radius + 0.005);
    const tx = wx + rng.uniform(-0.05, 0.05);
    const ty = -side * rng.uniform(0.11, 0.16);
    const px = wx + rng.uniform(-0.05, 0.05);
    const py = side * rng.uniform(0.11, 0.15);
    layout.reserve(tx, ty, 0.04);
    layout.reserve(px, py, pad.radius);
    const objectPoses = {
      [target.name]: restingPose(target, tx, ty, rng.uniform(-Math.PI / 4, Math.PI / 4)),
      ...layout.placeObjects(distractors),
    };
    return {
      instruction: sampler.instruction(
        [
          'put the {target} on the {pad} on the other side of the wall',
          'move the {target} over the wall onto the {pad}',
        ],
        [
          'lift the {target} across the wall and set it on the {pad}',
          'take the {target} past the barrier to the {pad}',
          'the {target} should end up on the {pad} beyond the wall',
        ],
        { target: target.label, pad: pad.label },
      ),
      scene: sampler.scene([target, ...distractors], [pad, wall]),
      objectPoses,
      fixturePoses: { [pad.name]: fixturePose(px, py), [wall.name]: fixturePose(wx, wy, Math.PI / 2) },
      roles: {
        target: target.name,
        destination: pad.name,
        obstacles: [wall.name],
        distractors: distractors.map((o) => o.name),
      },
      success: (s) => isPlacedOn(s, target, pad, 0.01),
      expertPlan: [
        { kind: 'pick', object: target.name, carryHeight: wall.height + 0.12 },
        {
          kind: 'place',
          onto: pad.name,
          offset: [0, 0, pad.supportHeight + restingHalfHeight(target.geom) + 0.012],
          carryHeight: wall.height + 0.12,
        },
      ],
    };
  },
};
