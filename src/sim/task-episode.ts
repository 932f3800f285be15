// One task instance: a template, a seed and a split, resolved to its scene, instruction and predicates.
import { SeededRandom } from './seeded-random.js';
import { SPLITS, SplitSampler, type SplitName } from './splits.js';
import { taskById } from './task-registry.js';
import type { TaskSetup, TaskSpec } from './task-spec.js';

export interface TaskEpisode {
  task: TaskSpec;
  seed: number;
  split: SplitName;
  setup: TaskSetup;
}

export function createTaskEpisode(taskId: string, seed: number, split: SplitName = 'in-domain'): TaskEpisode {
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw new Error(`seed must be a non-negative integer, got ${seed}`);
  if (!(SPLITS as readonly string[]).includes(split)) {
    throw new Error(`unknown split "${split}"; splits: ${SPLITS.join(', ')}`);
  }
  const task = taskById(taskId);
  const rng = new SeededRandom('grape-sim scene', task.id, seed);
  const style = new SeededRandom('grape-sim style', task.id, seed);
  return { task, seed, split, setup: task.setup(new SplitSampler(split, rng, style), rng) };
}
