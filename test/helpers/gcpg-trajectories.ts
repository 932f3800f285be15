// Hand-built trajectories and specs for the GCPG tests: every number chosen so stage costs can be worked
// out on paper.
import assert from 'node:assert/strict';

import type { CostSpec, Vec3 } from '../../src/gcpg/cost-spec.js';
import type { SignalSample, TrajectorySignals } from '../../src/gcpg/trajectory-signals.js';

/** Samples 1 s apart along x: the end effector at `ee[i]`, the cube at `cube[i]`, the goal fixed at x 0.4. */
export function lineTrajectory(
  ee: number[],
  cube: number[],
  extra: (i: number) => Partial<SignalSample> = () => ({}),
): TrajectorySignals {
  const at = (x: number): Vec3 => [x, 0, 0.1];
  return {
    source: 'hand-built',
    samples: ee.map((x, i) => ({
      time: i,
      ee: at(x),
      gripper: { closed: false, width: 0.08, grasped: null, holding: false },
      objects: { cube: at(cube[i]!) },
      contacts: [],
      ...extra(i),
    })),
    roles: { target: 'cube', destination: 'goal' },
    staticPoints: { goal: at(0.4) },
    tableHeight: 0,
    contactsClassified: true,
  };
}

/**
 * reach (done when the end effector is within 1 cm of the cube): 2 × final distance + 1 × time;
 * carry (done when the cube is within 1 cm of the goal): 1 × mean xy distance + 1 × path;
 * rest (done when the cube is still): 1 × contacts with the table, summed. τ 0.5 each.
 */
export function lineSpec(): CostSpec {
  return {
    format: 'grape-cost-spec/1',
    task: 'line',
    objective: 'task',
    summary: 'move the cube to the goal along a line',
    points: [
      { name: 'cube', kind: 'role', role: 'target' },
      { name: 'goal', kind: 'object', object: 'goal' },
    ],
    stages: [
      {
        name: 'reach',
        description: 'reach the cube',
        tau: 0.5,
        doneWhen: [{ measure: { kind: 'distance', from: 'ee', to: 'cube' }, below: 0.01 }],
        terms: [
          { measure: { kind: 'distance', from: 'ee', to: 'cube' }, weight: 2, aggregate: 'final' },
          { measure: { kind: 'duration' }, weight: 1 },
        ],
      },
      {
        name: 'carry',
        description: 'push the cube to the goal',
        tau: 0.5,
        doneWhen: [{ measure: { kind: 'xy_distance', from: 'cube', to: 'goal' }, below: 0.01 }],
        terms: [
          { measure: { kind: 'xy_distance', from: 'cube', to: 'goal' }, weight: 1 },
          { measure: { kind: 'path_length' }, weight: 1 },
        ],
      },
      {
        name: 'rest',
        description: 'let the cube come to rest',
        tau: 0.5,
        doneWhen: [{ measure: { kind: 'speed', point: 'cube' }, below: 0.001 }],
        terms: [{ measure: { kind: 'contact_count', with: ['table'] }, weight: 1, aggregate: 'sum' }],
      },
    ],
  };
}

/** The reference trajectory of lineSpec: reach costs 2, carry 0.25, rest 1 (one table contact). */
export function lineReference(): TrajectorySignals {
  return lineTrajectory([0, 0.1, 0.2, 0.3, 0.4, 0.4], [0.2, 0.2, 0.2, 0.3, 0.4, 0.4], (i) =>
    i === 5 ? { contacts: [{ other: 'table', class: 'table', force: 3 }] } : {},
  );
}

/** Equal up to floating-point rounding. */
export function assertClose(actual: number | undefined, expected: number, what = 'value'): void {
  assert.ok(
    actual !== undefined && Math.abs(actual - expected) <= 1e-9,
    `${what}: expected ${expected}, got ${actual}`,
  );
}
