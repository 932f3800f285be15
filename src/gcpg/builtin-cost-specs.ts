// The human-written cost specs of the simulator's tasks (builtin-specs/<task>.json): used offline, when
// no approved spec exists, and shown to the VLM as an example of the language. Points name objects by
// role (target, destination), so one spec fits every seed and split of its task.
import liftFromClutter from './builtin-specs/lift-from-clutter.json' with { type: 'json' };
import lift from './builtin-specs/lift.json' with { type: 'json' };
import moveNextTo from './builtin-specs/move-next-to.json' with { type: 'json' };
import placeOnPlate from './builtin-specs/place-on-plate.json' with { type: 'json' };
import placePastWall from './builtin-specs/place-past-wall.json' with { type: 'json' };
import pushToSide from './builtin-specs/push-to-side.json' with { type: 'json' };
import putInBowl from './builtin-specs/put-in-bowl.json' with { type: 'json' };
import stack from './builtin-specs/stack.json' with { type: 'json' };
import type { CostSpec } from './cost-spec.js';
import { validateCostSpec } from './cost-spec-validation.js';

const FILES: Record<string, unknown> = {
  lift,
  'place-on-plate': placeOnPlate,
  stack,
  'put-in-bowl': putInBowl,
  'push-to-side': pushToSide,
  'move-next-to': moveNextTo,
  'place-past-wall': placePastWall,
  'lift-from-clutter': liftFromClutter,
};

/** Tasks with a built-in spec. */
export const BUILTIN_SPEC_TASKS: readonly string[] = Object.keys(FILES);

/** The built-in task-objective spec of a simulator task (validated), or undefined if it has none. */
export function builtinCostSpec(task: string): CostSpec | undefined {
  const json = FILES[task];
  if (json === undefined) return undefined;
  return validateCostSpec(structuredClone(json), `built-in cost spec ${task}.json`, {
    task,
    objective: 'task',
  });
}
