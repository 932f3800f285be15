// Joint states matched by name into the manifest's order; every malformed message is refused.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { JointSelector } from '../src/policy/joint-selector.js';
import { PolicyInputError } from '../src/policy/policy-input-error.js';
import { jointState } from './helpers/policy-fixtures.js';

const names = ['shoulder', 'elbow', 'wrist'];

function refused(fn: () => unknown, problem: RegExp): void {
  assert.throws(
    fn,
    (e: unknown) => e instanceof PolicyInputError && e.input === 'joints' && problem.test(e.message),
  );
}

describe('joint selector', () => {
  it('reorders joints by name and drops the ones the model does not use', () => {
    const s = new JointSelector(names);
    const msg = jointState(['gripper', 'wrist', 'shoulder', 'base', 'elbow'], [0.04, 3, 1, 9, 2]);
    assert.deepEqual(Array.from(s.positions(msg)), [1, 2, 3]);
  });

  it('follows a publisher that changes its name order', () => {
    const s = new JointSelector(names);
    assert.deepEqual(
      Array.from(s.positions(jointState(['wrist', 'elbow', 'shoulder'], [3, 2, 1]))),
      [1, 2, 3],
    );
    assert.deepEqual(
      Array.from(s.positions(jointState(['elbow', 'shoulder', 'wrist'], [2, 1, 3]))),
      [1, 2, 3],
    );
    // Same names in a new array object with different values: the cached order still applies.
    assert.deepEqual(
      Array.from(s.positions({ ...jointState(['elbow', 'shoulder', 'wrist'], Float64Array.of(5, 4, 6)) })),
      [4, 5, 6],
    );
  });

  it('writes into a batch buffer at an offset', () => {
    const out = new Float32Array(6);
    new JointSelector(names).positions(jointState(names, [1, 2, 3]), out, 3);
    assert.deepEqual(Array.from(out), [0, 0, 0, 1, 2, 3]);
  });

  it('names a missing joint and lists what the message has', () => {
    refused(
      () => new JointSelector(names).positions(jointState(['shoulder', 'wrist'], [1, 3])),
      /joint 'elbow' is missing \(the message has: shoulder, wrist\)/,
    );
  });

  it('refuses non-finite positions, naming the joint', () => {
    refused(
      () => new JointSelector(names).positions(jointState(names, [1, Number.NaN, 3])),
      /joint 'elbow' position is NaN/,
    );
    refused(
      () => new JointSelector(names).positions(jointState(names, [1, 2, Infinity])),
      /joint 'wrist' position is Infinity/,
    );
  });

  it('refuses mismatched array lengths; empty velocity and effort are fine', () => {
    const s = new JointSelector(names);
    refused(() => s.positions(jointState(names, [1, 2])), /3 names but 2 positions/);
    refused(
      () => s.positions({ ...jointState(names, [1, 2, 3]), velocity: [0, 0] }),
      /3 names but 2 velocity values/,
    );
    refused(
      () => s.positions({ ...jointState(names, [1, 2, 3]), effort: [0, 0, 0, 0] }),
      /3 names but 4 effort values/,
    );
    assert.deepEqual(
      Array.from(s.positions({ ...jointState(names, [1, 2, 3]), velocity: [0, 0, 0] })),
      [1, 2, 3],
    );
  });

  it('refuses a joint listed twice', () => {
    refused(
      () =>
        new JointSelector(names).positions(jointState(['shoulder', 'elbow', 'elbow', 'wrist'], [1, 2, 2, 3])),
      /joint 'elbow' is listed twice/,
    );
  });
});
