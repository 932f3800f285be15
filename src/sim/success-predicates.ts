// Building blocks of the tasks' success predicates, over the per-step signals.
import { restingHalfHeight, type SceneFixture, type SceneObject } from './scene-spec.js';
import type { StepSignals } from './step-signals.js';

/** Heights may differ this much from resting exactly on a surface (contact softness, small tilts). */
const REST_TOLERANCE = 0.012;
/** Faster than this (m/s), an object is still falling or sliding. */
const SETTLED_SPEED = 0.05;

function objectSignal(s: StepSignals, name: string) {
  const o = s.objects[name];
  if (!o) throw new Error(`no object ${name} in this episode`);
  return o;
}

/** Held up by the gripper with its centre at least `height` above where it rests on the table. */
export function isLifted(s: StepSignals, object: SceneObject, height: number): boolean {
  const o = objectSignal(s, object.name);
  return s.gripper.grasped === object.name && o.position[2] >= restingHalfHeight(object.geom) + height;
}

/** Not held and not touched by the robot, and no longer moving. */
export function isReleased(s: StepSignals, object: SceneObject): boolean {
  const o = objectSignal(s, object.name);
  return (
    s.gripper.grasped !== object.name &&
    !s.contacts.some((c) => c.other === object.name) &&
    Math.hypot(...o.velocity) < SETTLED_SPEED
  );
}

/** Centre height is that of resting on a surface whose top is at `surfaceZ`. */
export function restsAtHeight(s: StepSignals, object: SceneObject, surfaceZ: number): boolean {
  const z = objectSignal(s, object.name).position[2];
  return Math.abs(z - (surfaceZ + restingHalfHeight(object.geom))) <= REST_TOLERANCE;
}

export function horizontalDistance(s: StepSignals, a: string, b: string): number {
  const pa = s.objects[a]?.position ?? s.fixtures[a]?.position;
  const pb = s.objects[b]?.position ?? s.fixtures[b]?.position;
  if (!pa || !pb) throw new Error(`no object or fixture ${pa ? b : a} in this episode`);
  return Math.hypot(pa[0] - pb[0], pa[1] - pb[1]);
}

/** Put down and let go on the fixture's support surface, its centre within `margin` of the edge. */
export function isPlacedOn(
  s: StepSignals,
  object: SceneObject,
  fixture: SceneFixture,
  margin: number,
): boolean {
  return (
    horizontalDistance(s, object.name, fixture.name) <= fixture.radius - margin &&
    restsAtHeight(s, object, fixture.supportHeight) &&
    isReleased(s, object)
  );
}
