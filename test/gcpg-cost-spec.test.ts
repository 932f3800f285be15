// The cost language's validation (every problem, each with its field), the built-in specs, the
// objective presets, the human-readable rendering and the versioned spec store.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { BUILTIN_SPEC_TASKS, builtinCostSpec } from '../src/gcpg/builtin-cost-specs.js';
import { CostSpecError } from '../src/gcpg/cost-spec-error.js';
import { CostSpecStore, specHash, type StoredCostSpec } from '../src/gcpg/cost-spec-store.js';
import { costSpecText } from '../src/gcpg/cost-spec-text.js';
import { parseCostSpec, validateCostSpec } from '../src/gcpg/cost-spec-validation.js';
import type { CostSpec } from '../src/gcpg/cost-spec.js';
import { applyObjective } from '../src/gcpg/objective-presets.js';
import { TASKS } from '../src/sim/task-registry.js';
import { edited, REMOVE } from './helpers/gcpg-json-edit.js';
import { lineSpec } from './helpers/gcpg-trajectories.js';

/** The issues validation reports for `value`, as "field: problem" lines. */
function issues(value: unknown): string[] {
  try {
    validateCostSpec(value, 'the test spec');
  } catch (error) {
    assert.ok(error instanceof CostSpecError, String(error));
    return error.issues.map((i) => `${i.field}: ${i.problem}`);
  }
  assert.fail('the spec validated');
}

const mutated = (edits: Record<string, unknown>): unknown => edited(lineSpec(), edits);

describe('cost spec validation', () => {
  it('accepts a valid spec as it is', () => {
    assert.deepEqual(validateCostSpec(lineSpec(), 'x'), lineSpec());
  });

  it('names every unknown, missing and mistyped field by its path', () => {
    const found = issues(
      mutated({
        'stages.0.terms.1.code': 'lambda s: s.ee',
        'stages.1.tau': REMOVE,
        'stages.2.doneWhen.0.measure.kind': 'python',
        objective: 'speed',
      }),
    );
    assert.deepEqual(found.sort(), [
      'objective: must be one of "task", "safety", "efficiency"',
      'stages[0].terms[1].code: unknown field',
      'stages[1].tau: missing required field',
      'stages[2].doneWhen[0].measure.kind: is missing or not a known kind',
    ]);
  });

  it('rejects code where structure belongs, and names that are not identifiers', () => {
    const found = issues(
      mutated({
        'stages.0.doneWhen': "__import__('os').system('touch /tmp/gcpg-pwned')",
        'points.0.name': 'cube; rm -rf /',
      }),
    );
    assert.ok(found.includes('stages[0].doneWhen: must be array'), found.join('\n'));
    assert.ok(
      found.some((f) => f.startsWith('points[0].name: must match pattern')),
      found.join('\n'),
    );
    assert.equal(existsSync('/tmp/gcpg-pwned'), false);
  });

  it('rejects absurd numbers: weights, τ, offsets and implausible bounds for the unit', () => {
    const found = issues(
      mutated({ 'stages.0.terms.0.weight': 1e9, 'stages.0.tau': -1, 'points.0.offset': [0, 0, 40] }),
    );
    assert.deepEqual(found.sort(), [
      'points[0].offset[2]: must be <= 1',
      'stages[0].tau: must be >= 0',
      'stages[0].terms[0].weight: must be <= 100',
    ]);
    const bounds = issues(
      mutated({
        'stages.0.doneWhen.0.below': 250, // metres
        'stages.1.terms.0.above': 0.3,
        'stages.1.terms.0.below': 0.1,
      }),
    );
    assert.deepEqual(bounds.sort(), [
      'stages[0].doneWhen[0].below: 250 is implausible for distance (expected 0..2)',
      'stages[1].terms[0]: above 0.3 exceeds below 0.1: nothing satisfies it',
    ]);
  });

  it('checks references and that bounds fit their measure', () => {
    const found = issues(
      mutated({
        'stages.0.terms.0.measure.to': 'plate',
        'stages.0.doneWhen.1': { measure: { kind: 'grasped', object: 'cube' }, below: 1 },
        'stages.1.doneWhen.1': { measure: { kind: 'duration' }, below: 1 },
        'stages.1.terms.2': { measure: { kind: 'gripper_closed' }, weight: 1 },
        'stages.2.terms.1': { measure: { kind: 'height', point: 'cube' }, weight: 1 },
        'stages.2.name': 'reach',
        'points.2': { name: 'ee', kind: 'object', object: 'hand' },
      }),
    );
    assert.deepEqual(found.sort(), [
      'points[2].name: "ee" is the end effector; it needs no declaration',
      'stages[0].doneWhen[1]: grasped is true or false: bound it with "is", not below/above',
      'stages[0].terms[0].measure.to: "plate" is not a declared point (points: ee, cube, goal)',
      'stages[1].doneWhen[1].measure.kind: duration is a per-sample increment, not a state to complete a stage on',
      'stages[1].terms[2].is: gripper_closed needs "is": true or false',
      'stages[2].name: stage "reach" appears twice',
      'stages[2].terms[1]: a height term needs "below" or "above" (a height alone is no cost)',
    ]);
  });

  it('checks the task and objective it was asked for, and reports unparseable text', () => {
    assert.throws(
      () => validateCostSpec(lineSpec(), 'x', { task: 'lift', objective: 'safety' }),
      /task: is "line"; expected "lift"\n {2}also objective: is "task"; expected "safety"/,
    );
    assert.throws(
      () => parseCostSpec('{"format": ', 'answer.json'),
      /answer\.json is not a valid cost spec: \(spec\): not JSON/,
    );
  });
});

describe('built-in cost specs', () => {
  it('exist for every simulator task, validate, and name objects by role only', () => {
    assert.deepEqual([...BUILTIN_SPEC_TASKS].sort(), TASKS.map((t) => t.id).sort());
    for (const task of BUILTIN_SPEC_TASKS) {
      const spec = builtinCostSpec(task)!;
      assert.equal(spec.task, task);
      assert.ok(
        spec.points.every((p) => p.kind === 'role'),
        `${task}: portable across seeds`,
      );
      assert.ok(spec.stages.length >= 2, `${task}: stages`);
    }
    assert.equal(builtinCostSpec('not-a-task'), undefined);
  });

  it('render for people with every stage, condition and term', () => {
    const text = costSpecText(builtinCostSpec('place-on-plate')!);
    assert.match(text, /^place-on-plate \(task\): /);
    assert.match(
      text,
      /1\. grasp \(τ 0\.3\): .*\n {3}done when grasped\(target\) is true\n {3}cost 4 × final distance\(ee, target\)/,
    );
    assert.match(
      text,
      /3\. place .*\n {3}done when grasped\(target\) is false and contact_count\(target\) ≤ 0 and speed\(target\) ≤ 0\.05/,
    );
    assert.match(text, /\+ 0\.05 × sum contact_count\(collisions\)/);
  });
});

describe('objective presets', () => {
  it('weight contact terms up for safety and time/path/speed/jerk terms for efficiency', () => {
    const task = builtinCostSpec('lift')!;
    const weights = (spec: CostSpec, kind: string) =>
      spec.stages.flatMap((s) => s.terms.filter((t) => t.measure.kind === kind).map((t) => t.weight));
    const safety = applyObjective(task, 'safety');
    assert.equal(safety.objective, 'safety');
    assert.deepEqual(
      weights(safety, 'contact_count'),
      weights(task, 'contact_count').map((w) => w * 5),
    );
    assert.deepEqual(weights(safety, 'duration'), weights(task, 'duration'));
    const efficiency = applyObjective(task, 'efficiency');
    assert.deepEqual(
      weights(efficiency, 'path_length'),
      weights(task, 'path_length').map((w) => w * 5),
    );
    assert.deepEqual(weights(efficiency, 'contact_force'), weights(task, 'contact_force'));
    validateCostSpec(safety, 'safety preset');
    assert.equal(applyObjective(task, 'task'), task);
  });

  it('refuse a spec without terms to weight, or one written for another objective', () => {
    const withoutContacts = { ...lineSpec(), stages: lineSpec().stages.slice(0, 2) };
    assert.throws(
      () => applyObjective(withoutContacts, 'safety'),
      /weights contact_count\/contact_force terms up, and the cost spec of line has none/,
    );
    assert.throws(
      () => applyObjective(applyObjective(builtinCostSpec('lift')!, 'safety'), 'efficiency'),
      /derives from a task spec/,
    );
  });
});

describe('CostSpecStore', () => {
  const dirs: string[] = [];
  const store = () => {
    const dir = mkdtempSync(join(tmpdir(), 'gcpg-store-'));
    dirs.push(dir);
    return new CostSpecStore(dir);
  };
  after(() => {
    dirs.forEach((d) => {
      rmSync(d, { recursive: true, force: true });
    });
  });

  it('keeps versions, approves one, and resolves what scoring uses', () => {
    const s = store();
    const lift = builtinCostSpec('lift')!;
    assert.match(s.resolve('lift', 'task')!.version, /^builtin\/lift#[0-9a-f]{12}$/);
    assert.equal(s.resolve('lift', 'safety')!.provenance, 'built-in with the safety preset');
    assert.equal(s.resolve('line', 'task'), undefined);

    const edited = structuredClone(lift);
    edited.stages[0]!.tau = 0.4;
    const v1 = s.add(edited, { kind: 'edit', from: 'builtin' });
    const v2 = s.add({ ...edited, summary: 'second' }, { kind: 'edit', from: v1.id });
    assert.deepEqual([v1.id, v2.id], ['lift/task/v1', 'lift/task/v2']);
    assert.equal(v1.hash, specHash(edited));
    // Unapproved versions are not used.
    assert.match(s.resolve('lift', 'task')!.version, /^builtin\//);
    s.approve('lift', 'task', 1);
    assert.equal(s.resolve('lift', 'task')!.version, `lift/task/v1#${v1.hash}`);
    // Other objectives derive from the approved task spec until they have their own.
    const safety = s.resolve('lift', 'safety')!;
    assert.match(safety.version, /^lift\/task\/v1\+safety#/);
    assert.equal(safety.spec.stages[0]!.tau, 0.4);
    s.approve('lift', 'task');
    assert.equal(s.approvedVersion('lift', 'task'), 2);
    assert.deepEqual(s.keys(), [{ task: 'lift', objective: 'task' }]);
    assert.throws(() => s.get('lift', 'task', 7), /no cost spec lift\/task\/v7 .* \(versions: v1, v2\)/);
  });

  it('caches VLM answers by model and prompt version, and never stores an invalid spec', () => {
    const s = store();
    const origin = {
      kind: 'vlm' as const,
      model: 'm1',
      promptVersion: 'p1',
      endpoint: 'http://x/v1',
      answers: 1,
      structured: true,
    };
    const spec = builtinCostSpec('stack')!;
    s.add(spec, origin);
    assert.equal(s.cachedVlmSpec('stack', 'task', 'm1', 'p1')?.id, 'stack/task/v1');
    assert.equal(s.cachedVlmSpec('stack', 'task', 'm1', 'p2'), undefined);
    assert.equal(s.cachedVlmSpec('stack', 'task', 'm2', 'p1'), undefined);
    const files = readdirSync(s.dir('stack', 'task'));
    assert.throws(() => s.add({ ...spec, stages: [] }, origin), CostSpecError);
    assert.deepEqual(readdirSync(s.dir('stack', 'task')), files);
  });

  it('rejects a version file edited by hand into an invalid spec, naming the file and field', () => {
    const s = store();
    s.add(builtinCostSpec('lift')!, { kind: 'edit', from: 'builtin' });
    const file = join(s.dir('lift', 'task'), 'v1.json');
    const record = JSON.parse(readFileSync(file, 'utf8')) as StoredCostSpec;
    record.spec.stages[0]!.terms[0]!.weight = -3;
    writeFileSync(file, JSON.stringify(record));
    assert.throws(
      () => s.get('lift', 'task'),
      /v1\.json is not a valid cost spec: stages\[0\]\.terms\[0\]\.weight: must be >= 0/,
    );
    assert.throws(() => s.dir('../etc', 'task'), /not a task id/);
  });
});
