// A scripted expert that solves the tasks from privileged state (true object poses and sizes), acting
// through the same 7-dim end-effector actions a policy uses, with seeded noise on its waypoints and
// actions so its demonstrations vary. It executes the task's plan (ExpertSkill[]) as waypoint-following
// phases, and retries a grasp that failed or an object that slipped out. It steers from the measured TCP
// pose (what a policy sees), so it corrects whatever moved the arm off its path, including the
// disturbances it can draw for DART-style demonstrations.
import type { ExpertSkill } from './expert-skill.js';
import { GRIPPER_CLOSE_ACTION, GRIPPER_OPEN_ACTION, MAX_TRANSLATION_STEP } from './action-space.js';
import { FINGER_MAX } from './panda-robot.js';
import {
  quatConjugate,
  quatFromMatrix,
  quatMultiply,
  quatToRotationVector,
  rotate,
  wrapAngle,
  type Quat,
  type Vec3,
} from './rotation.js';
import { footprintRadius, restingHalfHeight, type SceneObject } from './scene-spec.js';
import { SeededRandom } from './seeded-random.js';
import type { StepSignals } from './step-signals.js';
import type { TaskEpisode } from './task-episode.js';

export interface ExpertOptions {
  /** standard deviation of the per-step translation noise, m (rotation noise scales with it) */
  actionNoise?: number;
  /**
   * standard deviation of a disturbance added to the executed action but not to the recorded one, m
   * (rotation scales with it): DART (Laskey et al. 2017). The demonstrations then visit states off the
   * expert's own path and show its corrections from there, which is what a cloned policy meets.
   */
  executionNoise?: number;
  /** spread of the per-episode waypoint offsets (grasp and release points), m */
  waypointNoise?: number;
  /** seeds the noise; defaults to the episode's (task, split, seed) */
  noiseSeed?: number;
}

/**
 * How demonstrations are recorded (SimRunner): clean labels, and DART disturbances of 9 mm per step in
 * free space (3 mm near objects) so the data shows the way back from off-path states.
 */
export const DEMONSTRATION_NOISE: ExpertOptions = { actionNoise: 0, executionNoise: 0.009 };

/** Largest translation the expert asks for per step: inside the simulator's limit, so never clamped. */
const MAX_STEP = 0.8 * MAX_TRANSLATION_STEP;
const MAX_TURN = 0.25;
interface Motion {
  /** largest translation per step and axis, m */
  speed: number;
  /** fraction of the remaining distance covered per step, below the speed cap (1: all of it) */
  gain: number;
}
/**
 * In free space: half the remaining distance per step. A proportional approach shows the policy every
 * offset with its action, where covering it in one step showed full speed, then one odd step, then zero.
 */
const FREE: Motion = { speed: MAX_STEP, gain: 0.5 };
/** Down onto a grasp: the whole way, or the fingers close above mid-height and a heavy object slips. */
const ONTO_GRASP: Motion = { speed: MAX_STEP, gain: 1 };
/** Holding an object: slower, and easing into the waypoint, or the arm's jolts shake a heavy one loose. */
const CARRY: Motion = { speed: 0.015, gain: 0.5 };
/**
 * Down onto where the object goes: at the carrying speed, the whole way. Easing in made the last steps
 * tiny moves around the release point, and a cloned policy hovered there instead of letting go.
 */
const ONTO_RELEASE: Motion = { speed: CARRY.speed, gain: 1 };
/** TCP height above the object's top while lining up a grasp. */
const HOVER = 0.09;
/**
 * Most steps the gripper is given to close or open. The expert moves on as soon as the fingers show
 * that they have moved (they take about one step): holding still for longer made states that look the
 * same as the next skill's first, and a cloned policy stayed in them for good.
 */
const GRIP_STEPS = 5;
/** The fingers have moved by this much from fully open (closing) or to it (opening), m. */
const FINGERS_MOVED = 0.008;
/** Half the open gripper's span along its closing axis, fingers included. */
const OPEN_FINGER_REACH = 0.05;
/** The widest object the open gripper fits around, m. */
const MAX_GRASP_WIDTH = 0.07;
const PUSH_SPEED = 0.02;
const PUSH_HEIGHT = 0.018;
const MAX_GRASP_ATTEMPTS = 3;
/** Lateral distance to a waypoint within which the expert goes down to it. */
const LINED_UP = 0.02;
/** Lateral distance to a grasp or release point within which the gripper closes or opens. */
const LINED_UP_CLOSE = 0.01;
/** Height above the release point from which the held object is let go (it drops at most this far). */
const RELEASE_DROP = 0.01;
/** Rotation noise (rad) per metre of translation noise. */
const ROTATION_NOISE_SCALE = 5;

type Phase = 'approach' | 'descend' | 'close' | 'raise' | 'carry' | 'lower' | 'release' | 'retreat';

export class ScriptedExpert {
  private skillIndex = 0;
  private phase: Phase;
  private phaseSteps = 0;
  private graspAttempts = 0;
  /** TCP height minus the held object's centre height, measured when the fingers have closed */
  private graspOffset = 0;
  /** closing-axis yaw chosen for the current grasp */
  private graspYaw: number | undefined;
  private pushStart: Vec3 | undefined;
  /** where the current skill backs off to once done */
  private retreatTo: Vec3 | undefined;
  private readonly rng: SeededRandom;
  private readonly actionNoise: number;
  private readonly executionNoise: number;
  private readonly graspJitter: Vec3;
  private readonly releaseJitter: Vec3;

  constructor(
    private readonly episode: TaskEpisode,
    options: ExpertOptions = {},
  ) {
    this.rng = new SeededRandom(
      'grape-sim expert',
      episode.task.id,
      episode.split,
      episode.seed,
      options.noiseSeed ?? 'default',
    );
    this.actionNoise = options.actionNoise ?? 0.002;
    this.executionNoise = options.executionNoise ?? 0;
    const spread = options.waypointNoise ?? 0.003;
    const jitter = (): Vec3 => [this.rng.normal() * spread, this.rng.normal() * spread, 0];
    this.graspJitter = jitter();
    this.releaseJitter = jitter();
    this.phase = firstPhase(episode.setup.expertPlan[0]);
  }

  /** The next action for the state in `signals`. */
  act(signals: StepSignals): number[] {
    const skill = this.episode.setup.expertPlan[this.skillIndex];
    if (!skill) return this.hold(signals, this.currentYaw(signals), 'open');
    this.phaseSteps++;
    return this.skillAction(skill, signals);
  }

  /** What the arm executes for the recorded `action`: the action plus the disturbance, if any. */
  disturb(action: ArrayLike<number>): number[] {
    // Full strength on the way to an object; near objects (retreating from one included) a third, so the
    // disturbance does not knock them over.
    const n = this.phase === 'approach' ? this.executionNoise : this.executionNoise / 3;
    const out = Array.from(action);
    if (n === 0) return out;
    for (let i = 0; i < 6; i++) out[i]! += this.rng.normal() * (i < 3 ? n : n * ROTATION_NOISE_SCALE);
    return out;
  }

  private skillAction(skill: ExpertSkill, s: StepSignals): number[] {
    switch (skill.kind) {
      case 'pick':
        return this.pick(skill.object, skill.carryHeight, s);
      case 'lift':
        return this.holdAt(s, skill.height);
      case 'place':
        return this.place(skill, s);
      case 'push':
        return this.push(skill, s);
    }
  }

  private pick(name: string, carryHeight: number, s: StepSignals): number[] {
    const object = this.object(name);
    const o = s.objects[name]!;
    const half = restingHalfHeight(object.geom);
    const top = o.position[2] + half;
    this.graspYaw ??= this.chooseGraspYaw(object, s);
    const above: Vec3 = [
      o.position[0] + this.graspJitter[0],
      o.position[1] + this.graspJitter[1],
      top + HOVER,
    ];
    switch (this.phase) {
      case 'approach':
        if (this.reached(s, above, 0.015) && this.aligned(s, this.graspYaw)) this.enter('descend');
        return this.toward(s, lineUpFirst(s, above), this.graspYaw, 'open');
      case 'descend': {
        // Fingertips 1 cm below the TCP: grasp at mid-height, but keep them off the table.
        const grasp: Vec3 = [above[0], above[1], Math.max(o.position[2], 0.016)];
        if (this.downTo(s, grasp, 0.006) || this.phaseSteps > 30) {
          this.enter('close');
          return this.pick(name, carryHeight, s);
        }
        return this.toward(s, grasp, this.graspYaw, 'open', ONTO_GRASP);
      }
      case 'close':
        if (this.phaseSteps >= GRIP_STEPS || (this.phaseSteps > 0 && fingersClosed(s))) {
          this.graspOffset = s.ee.position[2] - o.position[2];
          this.enter('raise');
          return this.pick(name, carryHeight, s); // raise from this step: holding looks the same
        }
        return this.hold(s, this.graspYaw, 'close');
      default: {
        // raise
        if (s.gripper.grasped !== name && this.phaseSteps > 2) return this.retryGrasp(s);
        const up: Vec3 = [s.ee.position[0], s.ee.position[1], carryHeight];
        if (this.reached(s, up, 0.015)) this.nextSkill();
        return this.toward(s, up, this.graspYaw, 'close', CARRY);
      }
    }
  }

  private holdAt(s: StepSignals, height: number): number[] {
    const [x, y] = s.ee.position;
    return this.toward(s, [x, y, height], this.currentYaw(s), 'close', CARRY);
  }

  private place(skill: Extract<ExpertSkill, { kind: 'place' }>, s: StepSignals): number[] {
    const held = this.heldObject();
    if ((this.phase === 'carry' || this.phase === 'lower') && held && s.gripper.grasped !== held) {
      return this.retryGrasp(s);
    }
    const anchor = s.objects[skill.onto]?.position ?? s.fixtures[skill.onto]?.position;
    if (!anchor) throw new Error(`the plan places onto ${skill.onto}, which is not in the scene`);
    const x = anchor[0] + skill.offset[0] + this.releaseJitter[0];
    const y = anchor[1] + skill.offset[1] + this.releaseJitter[1];
    const yaw = this.currentYaw(s);
    switch (this.phase) {
      case 'carry': {
        // Rise first, then travel level: the straight line could sweep through things on the table.
        const overhead: Vec3 = [x, y, skill.carryHeight];
        const [cx, cy, cz] = s.ee.position;
        const waypoint: Vec3 = cz >= skill.carryHeight - 0.03 ? overhead : [cx, cy, skill.carryHeight];
        if (this.reached(s, overhead, 0.012)) this.enter('lower');
        return this.toward(s, waypoint, yaw, 'close', CARRY);
      }
      case 'lower': {
        const release: Vec3 = [x, y, anchor[2] + skill.offset[2] + this.graspOffset];
        if (this.downTo(s, release, RELEASE_DROP) || this.phaseSteps > 40) {
          this.enter('release');
          return this.place(skill, s);
        }
        return this.toward(s, release, yaw, 'close', ONTO_RELEASE);
      }
      case 'release':
        if (this.phaseSteps >= GRIP_STEPS || (this.phaseSteps > 0 && !fingersClosed(s))) {
          this.enter('retreat');
          return this.place(skill, s);
        }
        return this.hold(s, yaw, 'open');
      default: {
        const [cx, cy] = s.ee.position;
        const up = (this.retreatTo ??= [cx, cy, skill.carryHeight]);
        if (this.reached(s, up, 0.02)) this.nextSkill();
        return this.toward(s, up, yaw, 'open');
      }
    }
  }

  private push(skill: Extract<ExpertSkill, { kind: 'push' }>, s: StepSignals): number[] {
    const object = this.object(skill.object);
    const o = s.objects[skill.object]!.position;
    this.pushStart ??= [...o];
    const dir = skill.direction;
    const behind = footprintRadius(object.geom) + 0.03;
    const start: Vec3 = [o[0] - dir[0] * behind, o[1] - dir[1] * behind, 0];
    // A closing axis across the push direction puts the fingers' broad side against the object.
    const yaw = wrapAngle(Math.atan2(dir[1], dir[0]) + Math.PI / 2);
    const travelled = (o[0] - this.pushStart[0]) * dir[0] + (o[1] - this.pushStart[1]) * dir[1];
    const height = Math.min(PUSH_HEIGHT, restingHalfHeight(object.geom));
    switch (this.phase) {
      case 'approach': {
        const over: Vec3 = [start[0], start[1], 0.1];
        if (this.reached(s, over, 0.012) && this.aligned(s, yaw)) this.enter('descend');
        return this.toward(s, lineUpFirst(s, over), yaw, 'close');
      }
      case 'descend': {
        const low: Vec3 = [start[0], start[1], height];
        if (this.reached(s, low, 0.008)) this.enter('carry');
        return this.toward(s, low, yaw, 'close');
      }
      case 'carry': {
        // Done: back away now, not one more push (the object tips over when pushed past its stop).
        if (travelled >= skill.distance) {
          this.enter('retreat');
          return this.push(skill, s);
        }
        // Advance along the push direction while steering back onto the line through the object's centre.
        const p = s.ee.position;
        const along = (o[0] - p[0]) * dir[0] + (o[1] - p[1]) * dir[1];
        const lateral = [o[0] - p[0] - along * dir[0], o[1] - p[1] - along * dir[1]];
        const ahead: Vec3 = [
          p[0] + dir[0] * PUSH_SPEED + 0.5 * lateral[0]!,
          p[1] + dir[1] * PUSH_SPEED + 0.5 * lateral[1]!,
          height,
        ];
        return this.toward(s, ahead, yaw, 'close', { speed: PUSH_SPEED, gain: 1 });
      }
      default: {
        const [cx, cy] = s.ee.position;
        // Back away from the object as well as up, so the fingers do not drag it along.
        const back = (this.retreatTo ??= [cx - dir[0] * 0.03, cy - dir[1] * 0.03, 0.15]);
        if (this.reached(s, back, 0.02)) this.nextSkill();
        return this.toward(s, back, yaw, 'close');
      }
    }
  }

  /** Opens and starts the grasp again from above, or gives up (holds still) after a few tries. */
  private retryGrasp(s: StepSignals): number[] {
    const pick = this.episode.setup.expertPlan.findIndex((k) => k.kind === 'pick');
    this.graspAttempts++;
    if (pick < 0 || this.graspAttempts >= MAX_GRASP_ATTEMPTS) {
      this.skillIndex = this.episode.setup.expertPlan.length;
      return this.hold(s, this.currentYaw(s), 'open');
    }
    this.skillIndex = pick;
    this.graspYaw = undefined;
    this.enter('approach');
    return this.hold(s, this.currentYaw(s), 'open');
  }

  /**
   * The closing-axis yaw for grasping `object`. The yaw the gripper has, when the object fits between the
   * fingers at any heading: the camera barely shows an object's heading, so a policy could not learn a
   * choice made from it. Otherwise across a side that fits, choosing the one whose fingers stay farthest
   * from neighbouring objects, then the least turn.
   */
  private chooseGraspYaw(object: SceneObject, s: StepSignals): number {
    const o = s.objects[object.name]!;
    const g = object.geom;
    const widest = g.type === 'box' ? 2 * Math.hypot(g.size[0], g.size[1]) : 2 * g.size[0];
    if (widest <= MAX_GRASP_WIDTH) return this.currentYaw(s);
    const objectYaw = yawOf(o.orientation);
    const candidates =
      g.type === 'box'
        ? [
            { yaw: objectYaw, width: 2 * g.size[0] },
            { yaw: objectYaw + Math.PI / 2, width: 2 * g.size[1] },
          ].filter((c) => c.width <= MAX_GRASP_WIDTH)
        : Array.from({ length: 8 }, (_, k) => ({ yaw: (k * Math.PI) / 8, width: 2 * g.size[0] }));
    if (candidates.length === 0) throw new Error(`${object.label} is too wide for the gripper`);
    const current = this.currentYaw(s);
    const others = this.episode.setup.scene.objects.filter((x) => x.name !== object.name);
    let best = { score: -Infinity, yaw: current };
    for (const c of candidates) {
      // Closing axes are symmetric under a half turn: take the equivalent nearest the current one.
      const yaw = current + wrapAngle(2 * (c.yaw - current)) / 2;
      const clearance = Math.min(
        0.03,
        ...others.flatMap((n) => {
          const p = s.objects[n.name]!.position;
          return [1, -1].map((side) => {
            const fx = o.position[0] + side * OPEN_FINGER_REACH * Math.cos(yaw);
            const fy = o.position[1] + side * OPEN_FINGER_REACH * Math.sin(yaw);
            return Math.hypot(fx - p[0], fy - p[1]) - footprintRadius(n.geom);
          });
        }),
      );
      const score = clearance - 0.005 * Math.abs(yaw - current);
      if (score > best.score) best = { score, yaw };
    }
    return best.yaw;
  }

  /** A step of the target towards `waypoint` (as fast as `motion` allows), turning towards `yaw`, with noise. */
  private toward(
    s: StepSignals,
    waypoint: Vec3,
    yaw: number,
    gripper: 'open' | 'close',
    motion = FREE,
  ): number[] {
    const from = s.ee;
    const delta = waypoint.map((w, i) => w - from.position[i]!) as Vec3;
    // Closing axes are symmetric under a half turn: aim for the equivalent yaw nearest the current one.
    const current = yawOfClosingAxis(from.orientation);
    const nearest = current + wrapAngle(2 * (yaw - current)) / 2;
    const turn = quatToRotationVector(quatMultiply(downwardGrip(nearest), quatConjugate(from.orientation)));
    const turnNorm = Math.hypot(...turn);
    const turnScale = turnNorm > MAX_TURN ? MAX_TURN / turnNorm : 1;
    const n = this.actionNoise;
    // Each axis on its own, not scaled along the straight line: within `speed` of the waypoint an axis's
    // action is its remaining distance, a plain function of what the camera and joints show.
    const move = delta.map(
      (d) => Math.max(-motion.speed, Math.min(motion.speed, d * motion.gain)) + this.rng.normal() * n,
    ) as Vec3;
    const rot = turn.map((r) => r * turnScale + this.rng.normal() * n * ROTATION_NOISE_SCALE) as Vec3;
    return [...move, ...rot, gripper === 'close' ? GRIPPER_CLOSE_ACTION : GRIPPER_OPEN_ACTION];
  }

  private hold(s: StepSignals, yaw: number, gripper: 'open' | 'close'): number[] {
    return this.toward(s, s.ee.position, yaw, gripper);
  }

  /** Within `tolerance` (m) of a waypoint: each move says how close is close enough to move on. */
  private reached(s: StepSignals, waypoint: Vec3, tolerance: number): boolean {
    return Math.hypot(...waypoint.map((w, i) => w - s.ee.position[i]!)) < tolerance;
  }

  /**
   * Lined up over `point` and no higher than `slack` above it, or lower: a half-space, not a ball, so a
   * policy that overshoots or is held up a little by a contact still meets the condition (in a ball around
   * the point it would keep pressing, in a state that no longer changes).
   */
  private downTo(s: StepSignals, point: Vec3, slack: number): boolean {
    const [x, y, z] = s.ee.position;
    return Math.hypot(point[0] - x, point[1] - y) < LINED_UP_CLOSE && z <= point[2] + slack;
  }

  private aligned(s: StepSignals, yaw: number): boolean {
    return Math.abs(wrapAngle(2 * (this.currentYaw(s) - yaw))) / 2 < 0.05;
  }

  /** The closing-axis yaw the gripper has now. */
  private currentYaw(s: StepSignals): number {
    return yawOfClosingAxis(s.ee.orientation);
  }

  private heldObject(): string | undefined {
    const pick = this.episode.setup.expertPlan.find((k) => k.kind === 'pick');
    return pick?.kind === 'pick' ? pick.object : undefined;
  }

  private object(name: string): SceneObject {
    const object = this.episode.setup.scene.objects.find((o) => o.name === name);
    if (!object) throw new Error(`the plan names ${name}, which is not an object of the scene`);
    return object;
  }

  private enter(phase: Phase): void {
    this.phase = phase;
    this.phaseSteps = 0;
  }

  private nextSkill(): void {
    this.skillIndex++;
    this.retreatTo = undefined;
    this.enter(firstPhase(this.episode.setup.expertPlan[this.skillIndex]));
  }
}

/**
 * Over `waypoint`'s x, y before going down to it: the descent then starts lined up, and the
 * demonstrations show that a gripper off to the side moves across first (not down), at any height.
 */
function lineUpFirst(s: StepSignals, waypoint: Vec3): Vec3 {
  const [x, y, z] = s.ee.position;
  const off = Math.hypot(waypoint[0] - x, waypoint[1] - y);
  return off > LINED_UP ? [waypoint[0], waypoint[1], Math.max(waypoint[2], z)] : waypoint;
}

/** The fingers are off their open stop: closed on something, or on nothing. */
function fingersClosed(s: StepSignals): boolean {
  return s.gripper.width < 2 * FINGER_MAX - FINGERS_MOVED;
}

function firstPhase(skill: ExpertSkill | undefined): Phase {
  return skill?.kind === 'place' ? 'carry' : skill?.kind === 'lift' ? 'raise' : 'approach';
}

/** The TCP orientation pointing straight down with the fingers closing along yaw. */
function downwardGrip(yaw: number): Quat {
  const c = Math.cos(yaw);
  const s = Math.sin(yaw);
  // Columns: hand x = (-s, c, 0), hand y (closing axis) = (c, s, 0), hand z = down.
  return quatFromMatrix([-s, c, 0, c, s, 0, 0, 0, -1]);
}

/** Heading of the gripper's closing axis (the TCP frame's y axis) about the vertical. */
function yawOfClosingAxis(q: Quat): number {
  const axis = rotate(q, [0, 1, 0]);
  return Math.atan2(axis[1], axis[0]);
}

/** Heading of a body's x axis about the vertical. */
function yawOf(q: Quat): number {
  const x = rotate(q, [1, 0, 0]);
  return Math.atan2(x[1], x[0]);
}
