// What GCPG scores a trajectory on, whatever it came from (the simulator's privileged state, or a robot's
// logged topics): state samples in time order, with the end effector, the gripper, tracked objects and
// contacts, plus the points known without tracking. A field a source cannot give is absent, and a
// cost term that needs it fails with an error naming the term.
import type { ContactClass, Role, Vec3 } from './cost-spec.js';

export interface GripperSample {
  closed: boolean;
  /** distance between the fingers, m */
  width?: number;
  /** the object held, by name (null: nothing); only sources that know what is held set it */
  grasped?: string | null;
  /** something is held (closed on an object rather than on itself) */
  holding?: boolean;
}

export interface ContactSample {
  /** what was touched, by name ('' when unknown) */
  other: string;
  class: ContactClass;
  /** largest normal force during the sample, N */
  force: number;
}

export interface SignalSample {
  /** seconds since the trajectory's start */
  time: number;
  /** end-effector (tool centre point) position, world frame */
  ee: Vec3;
  gripper?: GripperSample;
  /** positions of the objects tracked at this sample, by name */
  objects: Record<string, Vec3>;
  /** their linear velocities (m/s), where the source measures them rather than leaving them to differences */
  velocities?: Record<string, Vec3>;
  /** contacts during the sample; absent when the source does not observe contacts */
  contacts?: ContactSample[];
}

/** Lifts a point of the first camera frame (normalized u right, v down) to the world frame. */
export interface PixelLifter {
  lift(u: number, v: number): Vec3;
}

export interface TrajectorySignals {
  /** where the signals came from, for messages */
  source: string;
  samples: SignalSample[];
  /** which object has which role in this episode */
  roles: Partial<Record<Role, string>>;
  /** points that do not move, by name: configured keypoints, fixtures a robot log does not track */
  staticPoints: Record<string, Vec3>;
  /** height of the table top in the world frame */
  tableHeight: number;
  /** whether contacts say what was touched (a force sensor alone cannot) */
  contactsClassified: boolean;
  pixelLifter?: PixelLifter;
}
