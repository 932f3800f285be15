// Resolves a spec's named points to one position per sample of a trajectory: the end effector, an
// object by role or name (tracked, or static where only a configured position is known), a pixel of
// the first frame lifted to 3D (static), each plus its offset.
import { END_EFFECTOR, type CostSpec, type PointSpec, type Vec3 } from './cost-spec.js';
import { SignalError } from './signal-error.js';
import type { TrajectorySignals } from './trajectory-signals.js';

export class PointTracks {
  private readonly points: Map<string, PointSpec>;
  private readonly cache = new Map<string, Vec3[]>();

  constructor(
    spec: CostSpec,
    private readonly signals: TrajectorySignals,
  ) {
    this.points = new Map(spec.points.map((p) => [p.name, p]));
  }

  /** The position of point `name` at every sample; `field` names who asked, for errors. */
  positions(name: string, field: string): Vec3[] {
    let track = this.cache.get(name);
    if (!track) {
      track = this.resolve(name, field);
      this.cache.set(name, track);
    }
    return track;
  }

  /**
   * Measured velocities of a point that follows an object, where the source gives them at every sample;
   * undefined otherwise (the caller differentiates positions instead).
   */
  velocities(name: string, field: string): Vec3[] | undefined {
    const p = this.points.get(name);
    if ((p?.kind !== 'role' && p?.kind !== 'object') || p.at === 'start') return undefined;
    const object = p.kind === 'role' ? this.roleObject(p.role, field) : p.object;
    const out = this.signals.samples.map((s) => s.velocities?.[object]);
    return out.every((v) => v !== undefined) ? out : undefined;
  }

  /** The signals' object name a role or object point stands for (what grasped() compares with). */
  objectName(name: string, field: string): string {
    const p = this.points.get(name);
    if (p?.kind === 'object') return p.object;
    if (p?.kind === 'role') return this.roleObject(p.role, field);
    throw new SignalError(field, this.signals.source, `"${name}" is not an object point`);
  }

  private resolve(name: string, field: string): Vec3[] {
    const n = this.signals.samples.length;
    if (name === END_EFFECTOR) return this.signals.samples.map((s) => s.ee);
    const p = this.points.get(name);
    if (!p) throw new SignalError(field, this.signals.source, `"${name}" is not a declared point`);
    let track: Vec3[];
    if (p.kind === 'pixel') {
      const lifter = this.signals.pixelLifter;
      if (!lifter) {
        throw new SignalError(
          field,
          this.signals.source,
          `point "${name}" is a pixel of the first frame, and lifting it needs that frame's depth and the camera's intrinsics and extrinsics`,
        );
      }
      track = new Array<Vec3>(n).fill(lifter.lift(p.u, p.v));
    } else {
      const object = p.kind === 'role' ? this.roleObject(p.role, field) : p.object;
      track = this.objectTrack(object, name, field);
      if (p.at === 'start') track = new Array<Vec3>(n).fill(track[0]!);
    }
    const offset = p.offset;
    return offset ? track.map((v) => [v[0] + offset[0], v[1] + offset[1], v[2] + offset[2]]) : track;
  }

  private roleObject(role: string, field: string): string {
    const object = this.signals.roles[role as keyof TrajectorySignals['roles']];
    if (object === undefined) {
      throw new SignalError(field, this.signals.source, `no object has the role "${role}" in this episode`);
    }
    return object;
  }

  /** Tracked positions, the last one held where a sample lacks it; else the configured static point. */
  private objectTrack(object: string, point: string, field: string): Vec3[] {
    const samples = this.signals.samples;
    const first = samples.find((s) => s.objects[object] !== undefined)?.objects[object];
    if (first) {
      let last = first;
      return samples.map((s) => (last = s.objects[object] ?? last));
    }
    const fixed = this.signals.staticPoints[object];
    if (fixed) return new Array<Vec3>(samples.length).fill(fixed);
    const tracked = [...new Set(samples.flatMap((s) => Object.keys(s.objects)))];
    const known = [...tracked, ...Object.keys(this.signals.staticPoints)];
    throw new SignalError(
      field,
      this.signals.source,
      `point "${point}" needs object "${object}", which is neither tracked nor configured (known: ${known.join(', ') || 'none'})`,
    );
  }
}
