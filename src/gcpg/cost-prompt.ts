// What the VLM is told: the cost language, one human-written spec as an example, the task, the objective,
// the objects it may name, and (beside the text) the first camera frame. PROMPT_VERSION is part of the
// cache key: change it whenever the prompt's wording or the language changes, so older answers are not
// served for the new prompt.
import { builtinCostSpec } from './builtin-cost-specs.js';
import { describeIssues, type CostSpecIssue } from './cost-spec-error.js';
import { COST_SPEC_FORMAT, END_EFFECTOR, type Objective, type Role } from './cost-spec.js';
import { BOUND_RANGES, LIMITS } from './cost-spec-schema.js';
import { OBJECTIVE_PRESETS } from './objective-presets.js';

export const PROMPT_VERSION = 'gcpg-prompt-1';

/** An object the spec may name. */
export interface SceneObject {
  /** its name in the signals */
  name: string;
  /** what it is, in words (e.g. "red cube") */
  label?: string;
  role?: Role;
}

export interface CostSpecRequest {
  task: string;
  objective: Objective;
  instruction: string;
  objects: SceneObject[];
  /** whether the signals can lift pixel keypoints (a depth camera with known intrinsics and extrinsics) */
  pixelPoints: boolean;
}

const OBJECTIVE_WORDS: Record<Objective, string> = {
  task: 'accomplish the task; add small contact, duration and path-length terms so cleaner and quicker trajectories rank higher',
  safety: `accomplish the task without touching anything but the target: weight ${OBJECTIVE_PRESETS.safety.kinds.join(' and ')} terms about ${OBJECTIVE_PRESETS.safety.factor}× what the task objective would`,
  efficiency: `accomplish the task quickly and directly: weight ${OBJECTIVE_PRESETS.efficiency.kinds.join(', ')} terms about ${OBJECTIVE_PRESETS.efficiency.factor}× what the task objective would`,
};

function ranges(): string {
  return Object.entries(BOUND_RANGES)
    .map(([kind, [lo, hi]]) => `${kind} ${lo}..${hi}`)
    .join(', ');
}

export function systemPrompt(): string {
  const example = JSON.stringify(builtinCostSpec('place-on-plate'));
  return `You write cost specs for GRAPE, which ranks a robot arm's recorded trajectories by how well they did a task, to fine-tune the robot's policy on its better attempts.

A cost spec is JSON in GRAPE's cost language ("format": "${COST_SPEC_FORMAT}"). It is data: write no code, formulas or comments anywhere.
- "points": named 3D points. "${END_EFFECTOR}" (the gripper's tool centre point) always exists and is not declared. Declare others as
  {"kind":"role","role":"target"|"destination"} for the object the task moves / where it goes (preferred: it fits every episode of the task),
  {"kind":"object","object":<a scene object's name>}, or {"kind":"pixel","u":0..1,"v":0..1} for a point on the camera image (u right, v down; static: it does not follow a moved object, so after a grasp measure with "${END_EFFECTOR}").
  "at":"start" freezes a role or object point where it was at the start; "offset":[dx,dy,dz] in metres shifts any point.
- "stages": the task's steps in order. A stage is done at the first sample where all its "doneWhen" conditions hold, and never re-opens; the next stage starts after it.
  Its "terms" are weighted costs over the stage's samples; "tau" is the stage cost tolerated before the trajectory's reward falls.
- Measures: distance / xy_distance (m, "from","to"), height (m of "point" above "over", or above the table), gripper_closed (boolean), grasped (boolean, optional "object"),
  contact_count / contact_force (what the robot touches, optional "with": ["target","object","fixture","obstacle","table","unclassified"]; default: everything but the target),
  speed (m/s) and jerk (m/s³) of a point (default "${END_EFFECTOR}"), path_length (m moved by "${END_EFFECTOR}" per sample), duration (s per sample).
- A condition is {"measure":…, "below":x} and/or "above":y for numbers, or "is":true|false for booleans. path_length and duration are not conditions.
- A term is a condition-like bound plus "weight" (0..${LIMITS.weight}) and "aggregate" ("sum","mean","max","final"; default sum for path_length and duration, mean otherwise).
  Per sample its cost is how far the bound is violated (1 for a false boolean), or the measure itself without a bound.
- Plausible bounds: ${ranges()}. Choose weights so that a stage done clearly badly costs about 1, and tau about 0.3.

Example, the spec for "put the red cube on the green plate" (objective task):
${example}

Answer with the JSON of one cost spec and nothing else.`;
}

export function userPrompt(request: CostSpecRequest): string {
  const objects = request.objects.map((o) => {
    const what = o.label ? ` (${o.label})` : '';
    return o.role ? `- role "${o.role}": object "${o.name}"${what}` : `- object "${o.name}"${what}`;
  });
  return `Task id: ${request.task}
Objective: ${request.objective}: ${OBJECTIVE_WORDS[request.objective]}.
Instruction given to the robot: "${request.instruction}"
Objects in the scene:
${objects.length > 0 ? objects.join('\n') : '- none known by name'}
${request.pixelPoints ? 'Pixel points are available: you may mark keypoints on the image.' : 'Pixel points are not available here: do not use kind "pixel".'}
The image is the camera's first frame of an episode of this task.
Write the cost spec with "task": "${request.task}" and "objective": "${request.objective}".`;
}

/** What the VLM is told after an answer that failed validation. */
export function repairPrompt(issues: readonly CostSpecIssue[]): string {
  return `That answer is not a valid cost spec:
${describeIssues(issues)}
Answer again with the corrected JSON of the whole cost spec and nothing else.`;
}
