// What the simulator reports after every control step, for success predicates, the scripted expert and
// GCPG scoring: end-effector pose, object and fixture poses, gripper state, robot contacts with force,
// and the path the end effector has travelled.
import type { Quat, Vec3 } from './rotation.js';

export interface BodyPose {
  position: Vec3;
  orientation: Quat;
}

export interface ObjectSignal extends BodyPose {
  /** linear velocity, m/s, world frame */
  velocity: Vec3;
}

export type ContactKind = 'table' | 'object' | 'fixture' | 'obstacle';

/** The robot touching something else during the last control step. */
export interface RobotContact {
  /** robot body, e.g. `left_finger`, `link5` */
  link: string;
  /** `table`, or the object / fixture name */
  other: string;
  kind: ContactKind;
  /** whether `other` is the object the task is about (touching it is expected) */
  target: boolean;
  /** largest normal force seen during the step, N */
  force: number;
}

export interface StepSignals {
  /** control steps since reset */
  step: number;
  /** simulated seconds since reset */
  time: number;
  ee: BodyPose;
  gripper: {
    /** what the last action asked for */
    command: 'open' | 'close';
    /** distance between the finger pads, m */
    width: number;
    /** the object both fingers touch, if any */
    grasped: string | null;
  };
  objects: Record<string, ObjectSignal>;
  fixtures: Record<string, BodyPose>;
  contacts: RobotContact[];
  /** end-effector path length since reset, m (sum over control steps) */
  pathLength: number;
}
