// Validates a cost spec: first the schema (structure, names, ranges), then the rules a schema cannot
// say: references to declared points, bounds that fit their measure, plausible thresholds per unit.
// Every problem is collected, each with its field.
import { Ajv, type ErrorObject } from 'ajv';

import { fieldPath } from '../policy/model-manifest.js';
import {
  BOOLEAN_MEASURES,
  END_EFFECTOR,
  INCREMENT_MEASURES,
  type Condition,
  type CostSpec,
  type Measure,
  type Objective,
  type PointSpec,
  type TermSpec,
} from './cost-spec.js';
import { CostSpecError, type CostSpecIssue } from './cost-spec-error.js';
import { BOUND_RANGES, COST_SPEC_SCHEMA } from './cost-spec-schema.js';

const validateSchema = new Ajv({ allErrors: true, strict: true, discriminator: true }).compile<CostSpec>(
  COST_SPEC_SCHEMA,
);

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function schemaIssue(error: ErrorObject): CostSpecIssue {
  const field = fieldPath(error.instancePath);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties':
      return { field: join(field, String(params.additionalProperty)), problem: 'unknown field' };
    case 'required':
      return { field: join(field, String(params.missingProperty)), problem: 'missing required field' };
    case 'enum':
      return {
        field,
        problem: `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
      };
    case 'const':
      return { field, problem: `must be ${JSON.stringify(params.allowedValue)}` };
    case 'discriminator':
      return { field: join(field, String(params.tag)), problem: 'is missing or not a known kind' };
    default:
      return { field, problem: error.message ?? error.keyword };
  }
}

/** The rules beyond the schema, on a spec whose structure is valid. */
function ruleIssues(spec: CostSpec): CostSpecIssue[] {
  const issues: CostSpecIssue[] = [];
  const points = new Map<string, PointSpec>();
  spec.points.forEach((p, i) => {
    if (p.name === END_EFFECTOR) {
      issues.push({
        field: `points[${i}].name`,
        problem: `"${END_EFFECTOR}" is the end effector; it needs no declaration`,
      });
      return;
    }
    if (points.has(p.name))
      issues.push({ field: `points[${i}].name`, problem: `point "${p.name}" is declared twice` });
    points.set(p.name, p);
  });

  const reference = (field: string, ref: string | undefined, needsIdentity = false) => {
    if (ref === undefined) return;
    if (ref === END_EFFECTOR) {
      if (needsIdentity) issues.push({ field, problem: `"${END_EFFECTOR}" is not an object` });
      return;
    }
    const p = points.get(ref);
    if (!p) {
      const known = [END_EFFECTOR, ...points.keys()].join(', ');
      issues.push({ field, problem: `"${ref}" is not a declared point (points: ${known})` });
    } else if (needsIdentity && p.kind === 'pixel') {
      issues.push({ field, problem: `"${ref}" is a pixel point; grasped() needs a role or object point` });
    }
  };
  const checkMeasure = (field: string, m: Measure) => {
    switch (m.kind) {
      case 'distance':
      case 'xy_distance':
        reference(`${field}.from`, m.from);
        reference(`${field}.to`, m.to);
        if (m.from === m.to)
          issues.push({ field: `${field}.to`, problem: 'measures a point against itself' });
        break;
      case 'height':
        reference(`${field}.point`, m.point);
        reference(`${field}.over`, m.over);
        break;
      case 'grasped':
        reference(`${field}.object`, m.object, true);
        break;
      case 'speed':
      case 'jerk':
        reference(`${field}.point`, m.point);
        break;
      default:
        break;
    }
  };
  const checkBound = (field: string, c: Condition | TermSpec, asCondition: boolean) => {
    const kind = c.measure.kind;
    const hasRange = c.below !== undefined || c.above !== undefined;
    if (BOOLEAN_MEASURES.includes(kind)) {
      if (hasRange)
        issues.push({ field, problem: `${kind} is true or false: bound it with "is", not below/above` });
      else if (c.is === undefined)
        issues.push({ field: `${field}.is`, problem: `${kind} needs "is": true or false` });
      return;
    }
    if (c.is !== undefined)
      issues.push({ field: `${field}.is`, problem: `${kind} is a number: bound it with below/above` });
    if (asCondition && !hasRange)
      issues.push({ field, problem: `a condition on ${kind} needs "below" or "above"` });
    if (!asCondition && kind === 'height' && !hasRange) {
      issues.push({ field, problem: 'a height term needs "below" or "above" (a height alone is no cost)' });
    }
    const range = BOUND_RANGES[kind]!;
    for (const side of ['below', 'above'] as const) {
      const v = c[side];
      if (v !== undefined && (v < range[0] || v > range[1])) {
        issues.push({
          field: `${field}.${side}`,
          problem: `${v} is implausible for ${kind} (expected ${range[0]}..${range[1]})`,
        });
      }
    }
    if (c.below !== undefined && c.above !== undefined && c.above > c.below) {
      issues.push({ field, problem: `above ${c.above} exceeds below ${c.below}: nothing satisfies it` });
    }
  };

  const stageNames = new Set<string>();
  spec.stages.forEach((stage, s) => {
    const at = `stages[${s}]`;
    if (stageNames.has(stage.name))
      issues.push({ field: `${at}.name`, problem: `stage "${stage.name}" appears twice` });
    stageNames.add(stage.name);
    stage.doneWhen.forEach((c, i) => {
      const field = `${at}.doneWhen[${i}]`;
      checkMeasure(`${field}.measure`, c.measure);
      if (INCREMENT_MEASURES.includes(c.measure.kind)) {
        issues.push({
          field: `${field}.measure.kind`,
          problem: `${c.measure.kind} is a per-sample increment, not a state to complete a stage on`,
        });
      } else {
        checkBound(field, c, true);
      }
    });
    stage.terms.forEach((t, i) => {
      const field = `${at}.terms[${i}]`;
      checkMeasure(`${field}.measure`, t.measure);
      checkBound(field, t, false);
    });
  });
  return issues;
}

export interface CostSpecExpectations {
  task?: string;
  objective?: Objective;
}

/** The spec in `value`, or a CostSpecError listing everything wrong with it. */
export function validateCostSpec(
  value: unknown,
  source: string,
  expect: CostSpecExpectations = {},
): CostSpec {
  if (!validateSchema(value)) throw new CostSpecError(source, (validateSchema.errors ?? []).map(schemaIssue));
  const issues = ruleIssues(value);
  if (expect.task !== undefined && value.task !== expect.task) {
    issues.push({ field: 'task', problem: `is "${value.task}"; expected "${expect.task}"` });
  }
  if (expect.objective !== undefined && value.objective !== expect.objective) {
    issues.push({ field: 'objective', problem: `is "${value.objective}"; expected "${expect.objective}"` });
  }
  if (issues.length > 0) throw new CostSpecError(source, issues);
  return value;
}

/** Parses JSON text and validates it; a parse failure is a CostSpecError too. */
export function parseCostSpec(text: string, source: string, expect: CostSpecExpectations = {}): CostSpec {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CostSpecError(source, [{ field: '', problem: `not JSON (${(error as Error).message})` }]);
  }
  return validateCostSpec(value, source, expect);
}
