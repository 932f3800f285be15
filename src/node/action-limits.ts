// Safety limits on end-effector delta actions (the 7-dim OpenVLA space: dx dy dz droll dpitch dyaw
// gripper): a per-step cap on translation and rotation, and a workspace box the end effector may
// not leave. A clamped action is executed clamped, flagged, and said so in the status.
import type { Pose } from '../messages/ros-messages.js';

export interface WorkspaceBox {
  min: readonly [number, number, number];
  max: readonly [number, number, number];
}

export interface ActionLimits {
  /** Largest |dx|, |dy|, |dz| per control step, m (Infinity: none). */
  maxTranslation: number;
  /** Largest |droll|, |dpitch|, |dyaw| per control step, rad (Infinity: none). */
  maxRotation: number;
  /** The end effector's allowed box in the pose's frame; applied when the pose is known. */
  workspace?: WorkspaceBox;
}

export const NO_LIMITS: Readonly<ActionLimits> = { maxTranslation: Infinity, maxRotation: Infinity };

/** The action dims the limits understand, by name. */
export const EE_DELTA_NAMES = ['dx', 'dy', 'dz', 'droll', 'dpitch', 'dyaw', 'gripper'] as const;

export interface LimitedAction {
  action: Float64Array;
  /** What was cut back, e.g. "dx 0.040 → 0.020 (max step)"; empty when nothing was. */
  clamped: string[];
}

export function checkActionLimits(limits: ActionLimits): void {
  if (!(limits.maxTranslation > 0))
    throw new Error(`maxTranslation must be > 0, got ${limits.maxTranslation}`);
  if (!(limits.maxRotation > 0)) throw new Error(`maxRotation must be > 0, got ${limits.maxRotation}`);
  const w = limits.workspace;
  if (w && !w.min.every((v, i) => Number.isFinite(v) && v < w.max[i]!))
    throw new Error(
      `workspace min ${JSON.stringify(w.min)} must be below max ${JSON.stringify(w.max)} on every axis`,
    );
}

/** Clamps `action` (EE_DELTA_NAMES order) to the limits, given the current end-effector pose if known. */
export function limitAction(action: ArrayLike<number>, limits: ActionLimits, ee?: Pose): LimitedAction {
  const out = Float64Array.from(action);
  const clamped: string[] = [];
  const cap = (d: number, bound: number, why: string) => {
    const v = out[d]!;
    const c = Math.max(-bound, Math.min(bound, v));
    if (c !== v) {
      clamped.push(`${EE_DELTA_NAMES[d]} ${v.toFixed(4)} → ${c.toFixed(4)} (${why})`);
      out[d] = c;
    }
  };
  for (let d = 0; d < 3; d++) cap(d, limits.maxTranslation, 'max step');
  for (let d = 3; d < 6; d++) cap(d, limits.maxRotation, 'max step');
  if (limits.workspace && ee) {
    const p = [ee.position.x, ee.position.y, ee.position.z];
    for (let d = 0; d < 3; d++) {
      const lo = limits.workspace.min[d]! - p[d]!;
      const hi = limits.workspace.max[d]! - p[d]!;
      const v = out[d]!;
      const c = Math.max(Math.min(lo, 0), Math.min(Math.max(hi, 0), v));
      if (c !== v) {
        clamped.push(`${EE_DELTA_NAMES[d]} ${v.toFixed(4)} → ${c.toFixed(4)} (workspace)`);
        out[d] = c;
      }
    }
  }
  return { action: out, clamped };
}
