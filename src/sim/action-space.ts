// The 7-dim OpenVLA-style action the simulator executes every control step (10 Hz):
// [Δx, Δy, Δz (m), Δroll, Δpitch, Δyaw (rad), gripper]. The deltas, from the measured TCP pose, give
// its target pose in the world frame (x forward from the robot, y to its left, z up; rotations about
// those fixed axes, roll first, then pitch, then yaw). Gripper: 1 closes, 0 opens (≥ 0.5 counts as
// close).
import type { Vec3 } from './rotation.js';

export const ACTION_DIMS = 7;
export const CONTROL_HZ = 10;

export const GRIPPER_CLOSE_ACTION = 1;
export const GRIPPER_OPEN_ACTION = 0;

/** Largest TCP move one action may ask for, per axis; larger requests are cut back and flagged. */
export const MAX_TRANSLATION_STEP = 0.05;
export const MAX_ROTATION_STEP = 0.3;
/** The box the TCP is kept in (z = 0 is the table top; the fingertips reach 1 cm below the TCP). */
export const TCP_WORKSPACE: { min: Vec3; max: Vec3 } = { min: [0.2, -0.4, 0], max: [0.8, 0.4, 0.55] };
