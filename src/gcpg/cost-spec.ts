// The declarative cost language of GCPG: what a task's stages are, when each is done, and what each
// costs, as plain JSON. A VLM writes it, people read and edit it, the CostEvaluator computes it; it is
// data throughout and nothing in it is ever executed. docs/gcpg.md describes it for people; the
// schema (cost-spec-schema.ts) is the precise definition.

export const COST_SPEC_FORMAT = 'grape-cost-spec/1';

export const OBJECTIVES = ['task', 'safety', 'efficiency'] as const;
export type Objective = (typeof OBJECTIVES)[number];

/** The end effector (tool centre point): a point every spec can name without declaring it. */
export const END_EFFECTOR = 'ee';

export type Vec3 = [number, number, number];

export const ROLES = ['target', 'destination'] as const;
export type Role = (typeof ROLES)[number];

interface PointBase {
  /** how terms and predicates refer to the point */
  name: string;
  /** added to the resolved position, metres, world frame (e.g. the top of a plate) */
  offset?: Vec3;
}

/** The object the episode gives a role (the thing to move, where it goes): portable across scenes. */
export interface RolePoint extends PointBase {
  kind: 'role';
  role: Role;
  /** 'start': frozen where it was at the first sample (e.g. to measure a lift from its resting place) */
  at?: 'start';
}

/** An object, fixture or configured keypoint by its name in the signals. */
export interface ObjectPoint extends PointBase {
  kind: 'object';
  object: string;
  at?: 'start';
}

/**
 * A point on the first camera frame, in normalized image coordinates (u right, v down, 0..1), lifted
 * to 3D with the frame's depth and the camera's intrinsics and extrinsics. Static: it does not follow
 * an object that is moved, so stages after a grasp should measure with the end effector instead.
 */
export interface PixelPoint extends PointBase {
  kind: 'pixel';
  u: number;
  v: number;
}

export type PointSpec = RolePoint | ObjectPoint | PixelPoint;

/**
 * What a contact touched: the task's target object, another object, a fixture (plate, bowl, pad), an
 * obstacle, the table, or something a force sensor felt without saying what.
 */
export const CONTACT_CLASSES = ['target', 'object', 'fixture', 'obstacle', 'table', 'unclassified'] as const;
export type ContactClass = (typeof CONTACT_CLASSES)[number];

/** Contacts a measure counts when it names none: everything but the target (collisions). */
export const COLLISION_CLASSES: readonly ContactClass[] = CONTACT_CLASSES.filter((c) => c !== 'target');

/** A per-sample quantity of the trajectory. */
export type Measure =
  /** metres between two points */
  | { kind: 'distance'; from: string; to: string }
  /** metres between two points in the horizontal plane */
  | { kind: 'xy_distance'; from: string; to: string }
  /** metres of `point` above `over` (or above the table top) */
  | { kind: 'height'; point: string; over?: string }
  /** the gripper is closed (boolean) */
  | { kind: 'gripper_closed' }
  /** the gripper holds `object` (a role or object point), or anything when omitted (boolean) */
  | { kind: 'grasped'; object?: string }
  /** how many things of the given classes the robot touches */
  | { kind: 'contact_count'; with?: ContactClass[] }
  /** the largest contact force with things of the given classes, N */
  | { kind: 'contact_force'; with?: ContactClass[] }
  /** m/s of a point (default the end effector) */
  | { kind: 'speed'; point?: string }
  /** m/s³ of a point (default the end effector) */
  | { kind: 'jerk'; point?: string }
  /** metres the end effector moved since the previous sample */
  | { kind: 'path_length' }
  /** seconds since the previous sample */
  | { kind: 'duration' };

export type MeasureKind = Measure['kind'];

export const BOOLEAN_MEASURES: readonly MeasureKind[] = ['gripper_closed', 'grasped'];
/** Per-sample increments: they add up over a stage, and say nothing as a condition. */
export const INCREMENT_MEASURES: readonly MeasureKind[] = ['path_length', 'duration'];

/**
 * A bound on a measure: numeric measures take `below` and/or `above`, boolean ones `is`. As a
 * completion predicate it holds or not; as a cost it is how far the sample is from holding.
 */
export interface Bound {
  below?: number;
  above?: number;
  is?: boolean;
}

export interface Condition extends Bound {
  measure: Measure;
}

export const AGGREGATES = ['sum', 'mean', 'max', 'final'] as const;
export type Aggregate = (typeof AGGREGATES)[number];

/**
 * A weighted cost over a stage's samples. Per sample: the bound's violation (0 when it holds; for a
 * boolean 1 when it does not), or the measure itself when no bound is given. Aggregated over the
 * stage (default: sum for path_length and duration, mean otherwise), times `weight`.
 */
export interface TermSpec extends Bound {
  measure: Measure;
  weight: number;
  aggregate?: Aggregate;
}

export interface StageSpec {
  name: string;
  /** what happens in the stage, for people */
  description: string;
  /** τ: stage cost tolerated before R_ext falls */
  tau: number;
  /** the stage is complete at the first sample where all of these hold; it never re-opens */
  doneWhen: Condition[];
  terms: TermSpec[];
}

export interface CostSpec {
  format: typeof COST_SPEC_FORMAT;
  task: string;
  objective: Objective;
  /** one line for people */
  summary: string;
  points: PointSpec[];
  stages: StageSpec[];
}
