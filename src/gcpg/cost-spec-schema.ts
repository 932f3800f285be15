// The JSON schema of the cost language: validated with ajv (precise error paths) and sent to the VLM
// as the structured-output format it must answer in. Names are short identifiers and every number has
// a plausible range, so an answer carrying code or absurd values fails here, field by field.
import {
  AGGREGATES,
  CONTACT_CLASSES,
  COST_SPEC_FORMAT,
  END_EFFECTOR,
  OBJECTIVES,
  ROLES,
  type MeasureKind,
} from './cost-spec.js';

/** Point, stage and object names: short identifiers, nothing that could be read as code. */
export const NAME_PATTERN = '^[a-z][a-z0-9_]{0,39}$';
/** Object names in the signals (scene objects, fixtures, configured keypoints). */
const OBJECT_NAME_PATTERN = '^[A-Za-z][A-Za-z0-9_.-]{0,63}$';

export const LIMITS = {
  points: 16,
  stages: 10,
  conditions: 6,
  terms: 12,
  weight: 100,
  tau: 100,
  offset: 1,
  text: 300,
} as const;

/** The plausible range of a bound on each numeric measure (below/above), in its unit. */
export const BOUND_RANGES: Partial<Record<MeasureKind, [number, number]>> = {
  distance: [0, 2],
  xy_distance: [0, 2],
  height: [-1, 2],
  contact_count: [0, 100],
  contact_force: [0, 1000],
  speed: [0, 5],
  jerk: [0, 10000],
  path_length: [0, 1],
  duration: [0, 10],
};

const name = { type: 'string', pattern: NAME_PATTERN };
const pointRef = {
  type: 'string',
  pattern: NAME_PATTERN,
  description: `a declared point, or "${END_EFFECTOR}"`,
};
const text = { type: 'string', minLength: 1, maxLength: LIMITS.text };
const finite = (min: number, max: number) => ({ type: 'number', minimum: min, maximum: max });
const vec3 = {
  type: 'array',
  items: finite(-LIMITS.offset, LIMITS.offset),
  minItems: 3,
  maxItems: 3,
};
const contactClasses = {
  type: 'array',
  items: { enum: [...CONTACT_CLASSES] },
  minItems: 1,
  uniqueItems: true,
  description: 'what the contacts touched; default: everything but the target (collisions)',
};

function variant(kind: string, properties: Record<string, unknown> = {}, required: string[] = []) {
  return {
    type: 'object',
    properties: { kind: { const: kind }, ...properties },
    required: ['kind', ...required],
    additionalProperties: false,
  };
}

const measure = {
  type: 'object',
  discriminator: { propertyName: 'kind' },
  oneOf: [
    variant('distance', { from: pointRef, to: pointRef }, ['from', 'to']),
    variant('xy_distance', { from: pointRef, to: pointRef }, ['from', 'to']),
    variant('height', { point: pointRef, over: pointRef }, ['point']),
    variant('gripper_closed'),
    variant('grasped', { object: pointRef }),
    variant('contact_count', { with: contactClasses }),
    variant('contact_force', { with: contactClasses }),
    variant('speed', { point: pointRef }),
    variant('jerk', { point: pointRef }),
    variant('path_length'),
    variant('duration'),
  ],
};

const boundProperties = {
  below: finite(-1e6, 1e6),
  above: finite(-1e6, 1e6),
  is: { type: 'boolean' },
};

const condition = {
  type: 'object',
  properties: { measure, ...boundProperties },
  required: ['measure'],
  additionalProperties: false,
};

const term = {
  type: 'object',
  properties: {
    measure,
    ...boundProperties,
    weight: finite(0, LIMITS.weight),
    aggregate: { enum: [...AGGREGATES] },
  },
  required: ['measure', 'weight'],
  additionalProperties: false,
};

const pointCommon = { name, offset: vec3 };

const point = {
  type: 'object',
  discriminator: { propertyName: 'kind' },
  oneOf: [
    variant('role', { ...pointCommon, role: { enum: [...ROLES] }, at: { const: 'start' } }, ['name', 'role']),
    variant(
      'object',
      { ...pointCommon, object: { type: 'string', pattern: OBJECT_NAME_PATTERN }, at: { const: 'start' } },
      ['name', 'object'],
    ),
    variant('pixel', { ...pointCommon, u: finite(0, 1), v: finite(0, 1) }, ['name', 'u', 'v']),
  ],
};

const stage = {
  type: 'object',
  properties: {
    name,
    description: text,
    tau: finite(0, LIMITS.tau),
    doneWhen: { type: 'array', items: condition, minItems: 1, maxItems: LIMITS.conditions },
    terms: { type: 'array', items: term, minItems: 1, maxItems: LIMITS.terms },
  },
  required: ['name', 'description', 'tau', 'doneWhen', 'terms'],
  additionalProperties: false,
};

export const COST_SPEC_SCHEMA = {
  $id: 'https://grape.dev/schemas/cost-spec-1.json',
  title: 'GRAPE cost spec',
  type: 'object',
  properties: {
    format: { const: COST_SPEC_FORMAT },
    task: { type: 'string', pattern: OBJECT_NAME_PATTERN },
    objective: { enum: [...OBJECTIVES] },
    summary: text,
    points: { type: 'array', items: point, maxItems: LIMITS.points },
    stages: { type: 'array', items: stage, minItems: 1, maxItems: LIMITS.stages },
  },
  required: ['format', 'task', 'objective', 'summary', 'points', 'stages'],
  additionalProperties: false,
} as const;

/**
 * The schema as a VLM's structured-output format: without ajv's own keywords, and with anyOf for
 * oneOf (the branches are disjoint by `kind`), which more OpenAI-compatible servers accept.
 */
export function vlmResponseSchema(): Record<string, unknown> {
  const convert = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(convert);
    if (node === null || typeof node !== 'object') return node;
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      if (key === 'discriminator' || key === '$id') continue;
      out[key === 'oneOf' ? 'anyOf' : key] = convert(value);
    }
    return out;
  };
  return convert(COST_SPEC_SCHEMA) as Record<string, unknown>;
}
