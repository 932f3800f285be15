// A measure of the cost language evaluated at every sample of a trajectory (booleans as 0 / 1). A
// measure that needs a signal the trajectory lacks fails here, naming the spec field that asked.
import {
  COLLISION_CLASSES,
  END_EFFECTOR,
  type ContactClass,
  type CostSpec,
  type Measure,
  type Vec3,
} from './cost-spec.js';
import { PointTracks } from './point-tracks.js';
import { SignalError } from './signal-error.js';
import type { GripperSample, SignalSample, TrajectorySignals } from './trajectory-signals.js';

/**
 * Where a source knows that something is held but not what (a robot's gripper), the held object is the
 * one within this distance of the end effector when the gripper closed on it.
 */
export const GRASP_RADIUS = 0.05;

const distance = (a: Vec3, b: Vec3) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);

export class MeasureSeries {
  private readonly tracks: PointTracks;
  private readonly cache = new Map<string, Float64Array>();

  constructor(
    spec: CostSpec,
    private readonly signals: TrajectorySignals,
  ) {
    this.tracks = new PointTracks(spec, signals);
  }

  /** The measure at every sample; `field` names the spec field it belongs to, for errors. */
  series(measure: Measure, field: string): Float64Array {
    const key = JSON.stringify(measure);
    let values = this.cache.get(key);
    if (!values) {
      values = this.evaluate(measure, field);
      this.cache.set(key, values);
    }
    return values;
  }

  private evaluate(m: Measure, field: string): Float64Array {
    const samples = this.signals.samples;
    const at = (name: string) => this.tracks.positions(name, field);
    switch (m.kind) {
      case 'distance': {
        const [a, b] = [at(m.from), at(m.to)];
        return Float64Array.from(a, (p, i) => distance(p, b[i]!));
      }
      case 'xy_distance': {
        const [a, b] = [at(m.from), at(m.to)];
        return Float64Array.from(a, (p, i) => Math.hypot(p[0] - b[i]![0], p[1] - b[i]![1]));
      }
      case 'height': {
        const p = at(m.point);
        const over = m.over === undefined ? undefined : at(m.over);
        return Float64Array.from(p, (v, i) => v[2] - (over ? over[i]![2] : this.signals.tableHeight));
      }
      case 'gripper_closed':
        return Float64Array.from(this.gripper(field), (g) => (g.closed ? 1 : 0));
      case 'grasped':
        return this.grasped(m.object, field);
      case 'contact_count':
      case 'contact_force': {
        const classes = this.contactClasses(m.with, field);
        return Float64Array.from(this.contacts(field), (contacts) => {
          const matching = contacts.filter((c) => classes.has(c.class));
          if (m.kind === 'contact_force') return Math.max(0, ...matching.map((c) => c.force));
          return new Set(matching.map((c) => `${c.class}\u0000${c.other}`)).size;
        });
      }
      case 'speed': {
        const point = m.point ?? END_EFFECTOR;
        const measured = this.tracks.velocities(point, field);
        return measured
          ? Float64Array.from(measured, (v) => Math.hypot(...v))
          : this.derivative(at(point), 1);
      }
      case 'jerk':
        return this.derivative(at(m.point ?? END_EFFECTOR), 3);
      case 'path_length': {
        const ee = at(END_EFFECTOR);
        return Float64Array.from(ee, (p, i) => (i === 0 ? 0 : distance(p, ee[i - 1]!)));
      }
      case 'duration':
        return Float64Array.from(samples, (s, i) =>
          i === 0 ? 0 : Math.max(0, s.time - samples[i - 1]!.time),
        );
    }
  }

  private gripper(field: string): GripperSample[] {
    const out = this.signals.samples.map((s) => s.gripper);
    if (out.some((g) => g === undefined)) {
      throw new SignalError(field, this.signals.source, 'needs the gripper state, which these signals lack');
    }
    return out as GripperSample[];
  }

  private grasped(object: string | undefined, field: string): Float64Array {
    const grippers = this.gripper(field);
    const name = object === undefined ? undefined : this.tracks.objectName(object, field);
    if (grippers.every((g) => g.grasped !== undefined)) {
      return Float64Array.from(grippers, (g) =>
        (name === undefined ? g.grasped !== null : g.grasped === name) ? 1 : 0,
      );
    }
    if (grippers.some((g) => g.holding === undefined)) {
      throw new SignalError(
        field,
        this.signals.source,
        'needs to know whether the gripper holds something, which these signals do not say',
      );
    }
    if (object === undefined) return Float64Array.from(grippers, (g) => (g.holding ? 1 : 0));
    // Known to hold something, not what: the object it closed on is the one near the end effector then.
    const ee = this.tracks.positions(END_EFFECTOR, field);
    const target = this.tracks.positions(object, field);
    let held = false;
    return Float64Array.from(grippers, (g, i) => {
      const startsHolding = g.holding === true && (i === 0 || grippers[i - 1]!.holding !== true);
      if (!g.holding) held = false;
      else if (startsHolding) held = distance(ee[i]!, target[i]!) <= GRASP_RADIUS;
      return held ? 1 : 0;
    });
  }

  private contacts(field: string): NonNullable<SignalSample['contacts']>[] {
    const out = this.signals.samples.map((s) => s.contacts);
    if (out.some((c) => c === undefined)) {
      throw new SignalError(field, this.signals.source, 'needs contacts, which these signals do not record');
    }
    return out as NonNullable<SignalSample['contacts']>[];
  }

  private contactClasses(selected: ContactClass[] | undefined, field: string): Set<ContactClass> {
    const classes = new Set(selected ?? COLLISION_CLASSES);
    // A force sensor cannot tell what it touched: only the default (collisions) or an explicit
    // 'unclassified' selection means something then.
    if (!this.signals.contactsClassified && selected !== undefined && !classes.has('unclassified')) {
      throw new SignalError(
        field,
        this.signals.source,
        `counts contacts with ${selected.join(', ')}, but these contacts do not say what was touched (leave "with" out, or include "unclassified")`,
      );
    }
    return classes;
  }

  /** |d^k p / dt^k| by backward differences (0 until k samples precede). */
  private derivative(p: Vec3[], order: 1 | 3): Float64Array {
    const t = this.signals.samples.map((s) => s.time);
    return Float64Array.from(p, (_, i) => {
      if (i < order) return 0;
      const dt = (t[i]! - t[i - order]!) / order;
      if (!(dt > 0)) return 0;
      const d = [0, 1, 2].map((axis) =>
        order === 1
          ? p[i]![axis]! - p[i - 1]![axis]!
          : p[i]![axis]! - 3 * p[i - 1]![axis]! + 3 * p[i - 2]![axis]! - p[i - 3]![axis]!,
      );
      return Math.hypot(...d) / dt ** order;
    });
  }
}
