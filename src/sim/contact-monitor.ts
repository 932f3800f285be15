// Collects the robot's contacts with everything else over the physics steps of one control step: who
// touched what, with the largest normal force seen, and what each finger touches at the end.
import type { MjData, MjModel } from 'mujoco-js';

import type { Mujoco } from './mujoco-runtime.js';
import { FINGER_BODIES, ROBOT_BODIES } from './panda-robot.js';
import { TABLE_GEOM } from './scene-xml.js';
import type { SceneSpec } from './scene-spec.js';
import type { ContactKind, RobotContact } from './step-signals.js';

type Entity = { name: string; kind: 'robot' } | { name: string; kind: ContactKind };

export class ContactMonitor {
  private readonly entities: Entity[];
  private readonly force: InstanceType<Mujoco['DoubleBuffer']>;
  private readonly contacts = new Map<string, RobotContact>();
  private fingerTouches: Set<string>[] = FINGER_BODIES.map(() => new Set());

  constructor(
    private readonly mj: Mujoco,
    private readonly model: MjModel,
    scene: SceneSpec,
    private readonly target: string,
  ) {
    const fixtureKinds = new Map(
      scene.fixtures.map((f) => [f.name, f.kind === 'obstacle' ? 'obstacle' : 'fixture']),
    );
    const objects = new Set(scene.objects.map((o) => o.name));
    const bodyOf = model.geom_bodyid as Int32Array;
    this.entities = Array.from({ length: model.ngeom }, (_, g): Entity => {
      const geomName = mj.mj_id2name(model, mj.mjtObj.mjOBJ_GEOM.value, g);
      const body = mj.mj_id2name(model, mj.mjtObj.mjOBJ_BODY.value, bodyOf[g]!);
      if (geomName === TABLE_GEOM) return { name: 'table', kind: 'table' };
      if (ROBOT_BODIES.includes(body)) return { name: body, kind: 'robot' };
      if (objects.has(body)) return { name: body, kind: 'object' };
      const fixture = fixtureKinds.get(body);
      if (fixture === 'obstacle' || fixture === 'fixture') return { name: body, kind: fixture };
      throw new Error(
        `geom ${g} (${geomName || 'unnamed'}) of body ${body} belongs to nothing the scene knows`,
      );
    });
    this.force = new mj.DoubleBuffer(6);
  }

  /** Starts a new control step. */
  clear(): void {
    this.contacts.clear();
    this.fingerTouches = FINGER_BODIES.map(() => new Set());
  }

  /** Records the contacts of the current physics state. */
  sample(data: MjData): void {
    const fingers = FINGER_BODIES.map(() => new Set<string>());
    // Each read of data.contact is a fresh copy of the contact list: read it once, free it after.
    const list = data.contact;
    try {
      for (let i = 0; i < data.ncon; i++) {
        const contact = list.get(i);
        if (!contact) continue;
        const a = this.entities[contact.geom1]!;
        const b = this.entities[contact.geom2]!;
        contact.delete();
        if ((a.kind === 'robot') === (b.kind === 'robot')) continue;
        const [robot, other] = a.kind === 'robot' ? [a, b] : [b, a];
        if (other.kind === 'robot') continue;
        const finger = FINGER_BODIES.indexOf(robot.name);
        if (finger >= 0 && other.kind === 'object') fingers[finger]!.add(other.name);
        this.mj.mj_contactForce(this.model, data, i, this.force);
        this.record(robot.name, other, Math.abs((this.force.GetView() as Float64Array)[0]!));
      }
    } finally {
      list.delete();
    }
    this.fingerTouches = fingers;
  }

  private record(link: string, other: { name: string; kind: ContactKind }, force: number): void {
    const key = `${link}\u0000${other.name}`;
    const seen = this.contacts.get(key);
    if (seen) seen.force = Math.max(seen.force, force);
    else
      this.contacts.set(key, {
        link,
        other: other.name,
        kind: other.kind,
        target: other.name === this.target,
        force,
      });
  }

  /** Every robot contact since `clear`, by link and other. */
  records(): RobotContact[] {
    return [...this.contacts.values()].map((c) => ({ ...c }));
  }

  /** The object both fingers touch in the last sample (the target first, if it is one), or null. */
  grasped(): string | null {
    const [left, right] = this.fingerTouches;
    const both = [...(left ?? [])].filter((name) => right?.has(name));
    return both.includes(this.target) ? this.target : (both[0] ?? null);
  }

  delete(): void {
    this.force.delete();
  }
}
