// "pick up the red cube" from the middle of a tight cluster: the fingers must find the gaps, so a sloppy
// grasp knocks into the neighbours (the safety objective's case).
import { footprintRadius } from '../scene-spec.js';
import { isLifted } from '../success-predicates.js';
import { restingPose, TableLayout } from '../table-layout.js';
import type { TaskSpec } from '../task-spec.js';
import { LIFT_HEIGHT } from './lift.js';

export const liftFromClutterTask: TaskSpec = {
  id: 'lift-from-clutter',
  summary: 'pick the named object out of a tight cluster of four others and hold it up',
  horizon: 150,
  setup(sampler, rng) {
    const target = sampler.namedObject({ target: true });
    const neighbours = sampler.distractors(4);
    const layout = new TableLayout(rng);
    const tx = rng.uniform(0.47, 0.53);
    const ty = rng.uniform(-0.06, 0.06);
    const objectPoses = {
      [target.name]: restingPose(target, tx, ty, rng.uniform(-Math.PI / 4, Math.PI / 4)),
    };
    layout.reserve(tx, ty, footprintRadius(target.geom));
    const start = rng.uniform(0, Math.PI / 2);
    neighbours.forEach((n, i) => {
      const angle = start + (i * Math.PI) / 2 + rng.uniform(-0.25, 0.25);
      const r = footprintRadius(target.geom) + footprintRadius(n.geom) + rng.uniform(0.012, 0.025);
      const x = tx + r * Math.cos(angle);
      const y = ty + r * Math.sin(angle);
      layout.reserve(x, y, footprintRadius(n.geom));
      objectPoses[n.name] = restingPose(n, x, y, rng.uniform(-Math.PI / 4, Math.PI / 4));
    });
    return {
      instruction: sampler.instruction(
        ['pick up the {target}', 'lift the {target} out of the group'],
        [
          'fish the {target} out from among the others',
          'grab the {target} from the cluster and raise it',
          'could you pull the {target} out of the pile',
        ],
        { target: target.label },
      ),
      scene: sampler.scene([target, ...neighbours], []),
      objectPoses,
      fixturePoses: {},
      roles: { target: target.name, obstacles: [], distractors: neighbours.map((o) => o.name) },
      success: (s) => isLifted(s, target, LIFT_HEIGHT),
      expertPlan: [
        { kind: 'pick', object: target.name, carryHeight: 0.2 },
        { kind: 'lift', height: 0.2 },
      ],
    };
  },
};
