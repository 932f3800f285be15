// The cost evaluator on hand-built trajectories whose stage costs are worked out by hand: stage
// assignment by completion predicates (in order, never re-opened, several in one sample), every
// aggregate and bound, every measure, and a clear error naming the term when a signal is missing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { CostEvaluator, violation } from '../src/gcpg/cost-evaluator.js';
import type { CostSpec, Measure, TermSpec } from '../src/gcpg/cost-spec.js';
import { GRASP_RADIUS } from '../src/gcpg/measure-series.js';
import { SignalError } from '../src/gcpg/signal-error.js';
import type { TrajectorySignals } from '../src/gcpg/trajectory-signals.js';
import { assertClose, lineReference, lineSpec, lineTrajectory } from './helpers/gcpg-trajectories.js';

/** A one-stage spec that never completes, costing `term` over every sample. */
function singleTerm(term: TermSpec, points: CostSpec['points'] = lineSpec().points): CostSpec {
  return {
    ...lineSpec(),
    points,
    stages: [
      {
        name: 'only',
        description: 'one stage that never completes',
        tau: 0,
        doneWhen: [{ measure: { kind: 'height', point: 'ee' }, above: 2 }],
        terms: [term],
      },
    ],
  };
}

function termValue(signals: TrajectorySignals, term: TermSpec, points?: CostSpec['points']): number {
  return new CostEvaluator(singleTerm(term, points)).evaluate(signals).stages[0]!.terms[0]!.value;
}

describe('CostEvaluator: stages', () => {
  it('assigns samples to stages by their predicates and costs each stage over its own samples', () => {
    const evaluation = new CostEvaluator(lineSpec()).evaluate(lineReference());
    const [reach, carry, rest] = evaluation.stages;
    assert.equal(evaluation.completed, 3);
    assert.deepEqual(reach!.samples, [0, 2]);
    assert.deepEqual(carry!.samples, [3, 4]);
    assert.deepEqual(rest!.samples, [5, 5]);
    // reach: final distance 0 (× 2) + time 0 + 1 + 1 (× 1)
    assertClose(reach!.terms[0]!.cost, 0, 'reach distance');
    assertClose(reach!.terms[1]!.cost, 2, 'reach duration');
    assertClose(reach!.cost, 2, 'reach');
    // carry: mean xy distance of 0.1 and 0 (× 1) + path 0.1 + 0.1 (× 1)
    assertClose(carry!.terms[0]!.value, 0.05, 'carry distance');
    assertClose(carry!.terms[1]!.value, 0.2, 'carry path');
    assertClose(carry!.cost, 0.25, 'carry');
    // rest: one table contact
    assertClose(rest!.cost, 1, 'rest');
    assert.equal(reach!.completedAt, 2);
    assert.equal(rest!.completedAt, 5);
  });

  it('leaves stages a trajectory never entered unreached, without a cost', () => {
    const short = lineTrajectory([0, 0.1, 0.2], [0.2, 0.2, 0.2]);
    const evaluation = new CostEvaluator(lineSpec()).evaluate(short);
    assert.equal(evaluation.completed, 1);
    assert.deepEqual(
      evaluation.stages.map((s) => [s.name, s.reached, s.completed, s.cost]),
      [
        ['reach', true, true, 2],
        ['carry', false, false, undefined],
        ['rest', false, false, undefined],
      ],
    );
    // A stage entered but not completed is costed on the samples it has: how far it got.
    const partway = new CostEvaluator(lineSpec()).evaluate(lineTrajectory([0, 0.1], [0.2, 0.2]));
    assert.equal(partway.stages[0]!.completed, false);
    assertClose(partway.stages[0]!.cost, 2 * 0.1 + 1, 'reach in progress');
  });

  it('never re-opens a completed stage', () => {
    // The end effector reaches the cube at sample 1, then leaves it: reach stays done, carry goes on.
    const away = lineTrajectory([0.1, 0.2, 0, 0, 0], [0.2, 0.2, 0.2, 0.2, 0.2]);
    const evaluation = new CostEvaluator(lineSpec()).evaluate(away);
    assert.equal(evaluation.stages[0]!.completed, true);
    assert.deepEqual(evaluation.stages[0]!.samples, [0, 1]);
    assert.deepEqual(evaluation.stages[1]!.samples, [2, 4]);
    assert.equal(evaluation.completed, 1);
  });

  it('lets one sample complete several stages in a row (each later one with that sample alone)', () => {
    // At sample 1 the end effector reaches the cube, which is already at the goal and still.
    const evaluation = new CostEvaluator(lineSpec()).evaluate(lineTrajectory([0.3, 0.4], [0.4, 0.4]));
    assert.equal(evaluation.completed, 3);
    assert.deepEqual(
      evaluation.stages.map((s) => s.samples),
      [
        [0, 1],
        [1, 1],
        [1, 1],
      ],
    );
  });
});

describe('CostEvaluator: bounds and aggregates', () => {
  it('costs a bound by how far it is violated, a boolean by 0 or 1, an unbounded term by its value', () => {
    assertClose(violation({ below: 0.1 }, 0.25), 0.15);
    assert.equal(violation({ below: 0.1 }, 0.05), 0);
    assertClose(violation({ above: 0.1 }, 0.04), 0.06);
    assertClose(violation({ above: 0.1, below: 0.2 }, 0.3), 0.1);
    assert.equal(violation({ is: true }, 0), 1);
    assert.equal(violation({ is: false }, 0), 0);
    assert.equal(violation({}, 0.7), 0.7);
  });

  it('aggregates by sum, mean, max and final over the stage', () => {
    const signals = lineTrajectory([0, 0.1, 0.3, 0.2], [0.5, 0.5, 0.5, 0.5]);
    const measure: Measure = { kind: 'distance', from: 'ee', to: 'cube' };
    // distances 0.5, 0.4, 0.2, 0.3
    assertClose(termValue(signals, { measure, weight: 1, aggregate: 'sum' }), 1.4, 'sum');
    assertClose(termValue(signals, { measure, weight: 1, aggregate: 'mean' }), 0.35, 'mean');
    assertClose(termValue(signals, { measure, weight: 1, aggregate: 'max' }), 0.5, 'max');
    assertClose(termValue(signals, { measure, weight: 1, aggregate: 'final' }), 0.3, 'final');
    // violations of ≤ 0.35: 0.15, 0.05, 0, 0
    assertClose(
      termValue(signals, { measure, weight: 1, aggregate: 'mean', below: 0.35 }),
      0.05,
      'tolerance',
    );
    const evaluation = new CostEvaluator(singleTerm({ measure, weight: 4, aggregate: 'final' })).evaluate(
      signals,
    );
    assertClose(evaluation.stages[0]!.terms[0]!.cost, 1.2, 'weighted');
  });
});

describe('CostEvaluator: measures', () => {
  it('measures heights above the table or another point, offsets and start positions', () => {
    const signals = lineTrajectory([0, 0.2], [0.2, 0.3]);
    signals.tableHeight = 0.02;
    signals.samples[1]!.objects.cube = [0.3, 0, 0.25];
    const final = (term: TermSpec, points?: CostSpec['points']) =>
      termValue(signals, { ...term, aggregate: 'final' }, points);
    // cube 0.25 high above a table at 0.02: 0.23; wanted at least 0.3 → 0.07 short
    assertClose(
      final({ measure: { kind: 'height', point: 'cube' }, above: 0.3, weight: 1 }),
      0.07,
      'above table',
    );
    const points: CostSpec['points'] = [
      { name: 'cube', kind: 'role', role: 'target' },
      { name: 'start', kind: 'role', role: 'target', at: 'start' },
      { name: 'top', kind: 'role', role: 'target', offset: [0, 0, 0.05] },
    ];
    // lifted 0.15 above where it started; wanted at most 0.1
    assertClose(
      final({ measure: { kind: 'height', point: 'cube', over: 'start' }, below: 0.1, weight: 1 }, points),
      0.05,
    );
    // the end effector at (0.2, 0, 0.1), the cube's top at (0.3, 0, 0.3)
    assertClose(
      final({ measure: { kind: 'distance', from: 'ee', to: 'top' }, weight: 1 }, points),
      Math.hypot(0.1, 0.2),
    );
    assertClose(final({ measure: { kind: 'xy_distance', from: 'ee', to: 'top' }, weight: 1 }, points), 0.1);
  });

  it('reads the gripper state and what it holds', () => {
    const signals = lineTrajectory([0, 0, 0, 0], [0, 0, 0, 0], (i) => ({
      gripper: { closed: i >= 1, grasped: i >= 2 ? 'cube' : null, holding: i >= 2 },
    }));
    const mean = (measure: Measure, is: boolean) => termValue(signals, { measure, is, weight: 1 });
    assertClose(mean({ kind: 'gripper_closed' }, true), 0.25, 'not closed in 1 of 4');
    assertClose(mean({ kind: 'grasped', object: 'cube' }, true), 0.5, 'not holding the cube in 2 of 4');
    assertClose(mean({ kind: 'grasped' }, false), 0.5, 'holding something in 2 of 4');
  });

  it('infers what is held from where the gripper closed, where a source only knows that it holds something', () => {
    // Holding from sample 1 on, with the cube within the grasp radius then; the cube is left behind
    // (its static position) as the arm moves away, but it stays held until the gripper opens.
    const near = GRASP_RADIUS / 2;
    const signals = lineTrajectory([0, near, 0.3, 0.3, 0.3], [0, 0, 0, 0, 0], (i) => ({
      gripper: { closed: i >= 1 && i <= 3, holding: i >= 1 && i <= 3 },
    }));
    const held = new CostEvaluator(
      singleTerm({ measure: { kind: 'grasped', object: 'cube' }, is: false, weight: 1, aggregate: 'sum' }),
    ).evaluate(signals);
    assert.equal(held.stages[0]!.terms[0]!.value, 3, 'held in samples 1–3');
    // Closing far from the cube is holding something else.
    const far = lineTrajectory([0.3, 0.3], [0, 0], () => ({ gripper: { closed: true, holding: true } }));
    assert.equal(
      termValue(far, {
        measure: { kind: 'grasped', object: 'cube' },
        is: false,
        weight: 1,
        aggregate: 'sum',
      }),
      0,
    );
  });

  it('counts contacts by class (default: collisions, everything but the target) and takes the largest force', () => {
    const signals = lineTrajectory([0, 0, 0], [0, 0, 0], (i) => ({
      contacts: [
        { other: 'cube', class: 'target' as const, force: 50 },
        ...(i > 0 ? [{ other: 'table', class: 'table' as const, force: 8 * i }] : []),
        ...(i === 2 ? [{ other: 'wall', class: 'obstacle' as const, force: 4 }] : []),
      ],
    }));
    const sum = (measure: Measure) => termValue(signals, { measure, weight: 1, aggregate: 'sum' });
    assert.equal(sum({ kind: 'contact_count' }), 3);
    assert.equal(sum({ kind: 'contact_count', with: ['target'] }), 3);
    assert.equal(sum({ kind: 'contact_count', with: ['obstacle', 'table'] }), 3);
    assert.equal(termValue(signals, { measure: { kind: 'contact_force' }, weight: 1, aggregate: 'max' }), 16);
    assert.equal(
      termValue(signals, {
        measure: { kind: 'contact_force', with: ['target'] },
        weight: 1,
        aggregate: 'max',
      }),
      50,
    );
  });

  it('derives speed and jerk from positions, and prefers measured velocities', () => {
    // x = t³ / 100: speed between samples is the difference over 1 s, jerk exactly 6 / 100.
    const xs = [0, 1, 2, 3, 4, 5].map((t) => t ** 3 / 100);
    const signals = lineTrajectory(xs, xs);
    assertClose(
      termValue(signals, { measure: { kind: 'speed' }, weight: 1, aggregate: 'final' }),
      (125 - 64) / 100,
    );
    assertClose(termValue(signals, { measure: { kind: 'jerk' }, weight: 1, aggregate: 'final' }), 0.06);
    assertClose(termValue(signals, { measure: { kind: 'jerk' }, weight: 1, aggregate: 'max' }), 0.06);
    for (const s of signals.samples) s.velocities = { cube: [0, 0.5, 0] };
    assertClose(
      termValue(signals, { measure: { kind: 'speed', point: 'cube' }, weight: 1, aggregate: 'final' }),
      0.5,
    );
    // The end effector has no measured velocity: still differences.
    assertClose(termValue(signals, { measure: { kind: 'speed' }, weight: 1, aggregate: 'final' }), 0.61);
  });

  it('lifts pixel points with the trajectory’s lifter', () => {
    const signals = lineTrajectory([0, 0], [0, 0]);
    signals.pixelLifter = { lift: (u, v) => [u, v, 0.1] };
    const points: CostSpec['points'] = [{ name: 'mark', kind: 'pixel', u: 0.3, v: 0.4 }];
    assertClose(
      termValue(signals, { measure: { kind: 'distance', from: 'ee', to: 'mark' }, weight: 1 }, points),
      0.5,
    );
  });
});

describe('CostEvaluator: missing signals', () => {
  const evaluate =
    (signals: TrajectorySignals, spec: CostSpec = lineSpec()) =>
    () =>
      new CostEvaluator(spec).evaluate(signals);

  it('names the term that needs contacts a source does not record, even in a stage never reached', () => {
    const signals = lineTrajectory([0], [0.5]);
    for (const s of signals.samples) delete s.contacts;
    assert.throws(evaluate(signals), (e: unknown) => {
      assert.ok(e instanceof SignalError);
      assert.equal(e.field, 'stages[2].terms[0].measure');
      assert.match(
        e.message,
        /stages\[2\]\.terms\[0\]\.measure: needs contacts, which these signals do not record \(signals from hand-built\)/,
      );
      return true;
    });
  });

  it('names missing gripper states, objects, roles and pixel lifters', () => {
    const noGripper = lineTrajectory([0], [0]);
    delete noGripper.samples[0]!.gripper;
    assert.throws(
      evaluate(noGripper, singleTerm({ measure: { kind: 'gripper_closed' }, is: true, weight: 1 })),
      /stages\[0\]\.terms\[0\]\.measure: needs the gripper state/,
    );
    const noIdentity = lineTrajectory([0], [0], () => ({ gripper: { closed: true } }));
    assert.throws(
      evaluate(noIdentity, singleTerm({ measure: { kind: 'grasped', object: 'cube' }, is: true, weight: 1 })),
      /needs to know whether the gripper holds something/,
    );
    const unknown = singleTerm({ measure: { kind: 'distance', from: 'ee', to: 'plate' }, weight: 1 }, [
      { name: 'plate', kind: 'object', object: 'green_plate' },
    ]);
    assert.throws(
      evaluate(lineTrajectory([0], [0]), unknown),
      /point "plate" needs object "green_plate", which is neither tracked nor configured \(known: cube, goal\)/,
    );
    const noRole = lineTrajectory([0], [0]);
    noRole.roles = {};
    assert.throws(evaluate(noRole), /stages\[0\]\.doneWhen\[0\]\.measure: no object has the role "target"/);
    const pixel = singleTerm({ measure: { kind: 'distance', from: 'ee', to: 'mark' }, weight: 1 }, [
      { name: 'mark', kind: 'pixel', u: 0.5, v: 0.5 },
    ]);
    assert.throws(
      evaluate(lineTrajectory([0], [0]), pixel),
      /pixel of the first frame, and lifting it needs that frame's depth/,
    );
  });

  it('refuses contact classes a force sensor cannot tell apart, but counts its collisions', () => {
    const signals = lineTrajectory([0, 0], [0, 0], () => ({
      contacts: [{ other: '', class: 'unclassified', force: 20 }],
    }));
    signals.contactsClassified = false;
    assert.throws(
      evaluate(signals, singleTerm({ measure: { kind: 'contact_count', with: ['table'] }, weight: 1 })),
      /counts contacts with table, but these contacts do not say what was touched/,
    );
    assert.equal(termValue(signals, { measure: { kind: 'contact_count' }, weight: 1, aggregate: 'sum' }), 2);
  });
});
