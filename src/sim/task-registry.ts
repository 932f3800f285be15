// The in-domain task templates, by id, and the fixed evaluation seeds.
import type { TaskSpec } from './task-spec.js';
import { liftFromClutterTask } from './tasks/lift-from-clutter.js';
import { liftTask } from './tasks/lift.js';
import { moveNextToTask } from './tasks/move-next-to.js';
import { placeOnPlateTask } from './tasks/place-on-plate.js';
import { placePastWallTask } from './tasks/place-past-wall.js';
import { pushToSideTask } from './tasks/push-to-side.js';
import { putInBowlTask } from './tasks/put-in-bowl.js';
import { stackTask } from './tasks/stack.js';

export const TASKS: readonly TaskSpec[] = [
  liftTask,
  placeOnPlateTask,
  stackTask,
  putInBowlTask,
  pushToSideTask,
  moveNextToTask,
  placePastWallTask,
  liftFromClutterTask,
];

/** Seeds 0–49 of every task and split are the evaluation set; train on others (e.g. 1000 and up). */
export const EVALUATION_SEEDS: readonly number[] = Array.from({ length: 50 }, (_, i) => i);

export function taskById(id: string): TaskSpec {
  const task = TASKS.find((t) => t.id === id);
  if (!task) throw new Error(`unknown task "${id}"; tasks: ${TASKS.map((t) => t.id).join(', ')}`);
  return task;
}
