// A task template: what the scene holds for a seed, what the instruction says, when it is solved, and
// how the scripted expert solves it. Templates draw everything that a split varies from a SplitSampler.
import type { ExpertSkill } from './expert-skill.js';
import type { SceneSpec } from './scene-spec.js';
import type { SeededRandom } from './seeded-random.js';
import type { SplitSampler } from './splits.js';
import type { BodyPose, StepSignals } from './step-signals.js';

/** What the task's things are for, so scorers can tell the object to move from the ones to avoid. */
export interface TaskRoles {
  /** the object the task moves */
  target: string;
  /** where it goes (a fixture or another object), if anywhere */
  destination?: string;
  obstacles: string[];
  distractors: string[];
}

export interface TaskSetup {
  instruction: string;
  scene: SceneSpec;
  /** initial pose of each object's centre */
  objectPoses: Record<string, BodyPose>;
  /** pose of each fixture's base on the table */
  fixturePoses: Record<string, BodyPose>;
  roles: TaskRoles;
  success(signals: StepSignals): boolean;
  /** the scripted solution, in order */
  expertPlan: ExpertSkill[];
}

export interface TaskSpec {
  id: string;
  /** one line for people */
  summary: string;
  /** control steps (10 Hz) before an episode times out */
  horizon: number;
  /** the seed's scene; `rng` draws layout, the sampler what the split varies */
  setup(sampler: SplitSampler, rng: SeededRandom): TaskSetup;
}
