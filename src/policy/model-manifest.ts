// policy.json, the manifest of a model package: what the policy observes, how instructions become
// token ids, what the encoder outputs, what the head is and how its action tokens map to the
// robot's continuous action. Validated by a JSON schema (unknown and missing fields are errors),
// then by the rules a schema cannot say (lengths that must agree, q01 < q99, ...).
import { Ajv, type ErrorObject } from 'ajv';

import { ModelPackageError } from './model-package-error.js';

export const MANIFEST_FORMAT = 'grape-model/1';

export type Binning = 'uniform' | 'openvla';
export type ResizeMode = 'bilinear' | 'area' | 'nearest';

export interface ActionSpec {
  /** D */
  dims: number;
  names: string[];
  /** B */
  bins: number;
  /**
   * uniform: B equal bins over [-1, 1], decoded to their centres. openvla: OpenVLA's layout for
   * heads exported from it (B edges, B-1 centres, token t = B - digitize(x)).
   */
  binning: Binning;
  /** Per-dim statistics: q01 maps to -1, q99 to +1; binary dims take one of the two. */
  normalization: { q01: number[]; q99: number[] };
  /** Names of the dims that are binary (a gripper): decoded to q01 or q99. */
  binary: string[];
}

/** Fractions of the source image (0..1) cut out before resizing. */
export interface CropSpec {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface ImageSpec {
  /** ONNX input fed with [n, C, height, width] float32. */
  input: string;
  width: number;
  height: number;
  /** Channel order of the tensor (mono: one channel, ITU-R BT.601 luma). */
  channels: 'rgb' | 'bgr' | 'mono';
  resize: ResizeMode;
  crop?: CropSpec;
  /** Per channel, applied to values in [0, 1]: (v - mean) / std. */
  mean: number[];
  std: number[];
}

export interface DepthSpec {
  /** ONNX input fed with [n, 1, height, width] float32: (clamp(d) - minMeters) / (maxMeters - minMeters), 0 where invalid. */
  input: string;
  width: number;
  height: number;
  resize: ResizeMode;
  crop?: CropSpec;
  minMeters: number;
  maxMeters: number;
}

export interface JointsSpec {
  /** ONNX input fed with [n, P] float32 positions (rad or m), in this order. */
  input: string;
  names: string[];
}

export interface EndEffectorSpec {
  /** ONNX input fed with [n, 7] float32: x, y, z, qx, qy, qz, qw. */
  input: string;
  /** The frame the pose must be expressed in (checked against header.frame_id when set). */
  frame?: string;
}

export interface ObservationSpec {
  image: ImageSpec;
  depth?: DepthSpec;
  joints: JointsSpec;
  endEffector?: EndEffectorSpec;
}

export interface InstructionSpec {
  /** ONNX input fed with [n, maxTokens] int64 ids, 0 = padding. */
  input: string;
  tokenizer: 'word-hash';
  vocabSize: number;
  maxTokens: number;
  /** 1: words only; 2: words then adjacent word pairs (so word order counts). */
  ngrams: number;
}

export interface FeatureBlock {
  name: string;
  offset: number;
  size: number;
  description: string;
}

export interface EncoderSpec {
  /** Name of the ONNX output holding the features. */
  output: string;
  /** Per step, without the batch dim: [F] for an mlp head, [D, H] for token-linear. */
  outputShape: number[];
  /** What each range of the features means (descriptive). */
  blocks?: FeatureBlock[];
  /** How the encoder was made (descriptive: generator name, seed, settings). */
  generator?: Record<string, unknown>;
}

export interface HeadDescription {
  kind: 'mlp' | 'token-linear';
  /** F (mlp) or H (token-linear). */
  inputDim: number;
  hidden?: number[];
  activation?: 'gelu' | 'gelu_tanh';
}

export interface ModelManifest {
  format: typeof MANIFEST_FORMAT;
  name: string;
  version: string;
  description?: string;
  controlRateHz: number;
  action: ActionSpec;
  observation: ObservationSpec;
  instruction: InstructionSpec;
  encoder: EncoderSpec;
  head: HeadDescription;
}

const positiveInt = { type: 'integer', minimum: 1 } as const;
const name = { type: 'string', minLength: 1 } as const;
const numbers = { type: 'array', items: { type: 'number' } } as const;
const resize = { enum: ['bilinear', 'area', 'nearest'] } as const;
const fraction = { type: 'number', minimum: 0, maximum: 1 } as const;
const crop = {
  type: 'object',
  additionalProperties: false,
  required: ['left', 'top', 'width', 'height'],
  properties: { left: fraction, top: fraction, width: fraction, height: fraction },
} as const;

export const MANIFEST_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: [
    'format',
    'name',
    'version',
    'controlRateHz',
    'action',
    'observation',
    'instruction',
    'encoder',
    'head',
  ],
  properties: {
    format: { const: MANIFEST_FORMAT },
    name,
    version: name,
    description: { type: 'string' },
    controlRateHz: { type: 'number', exclusiveMinimum: 0 },
    action: {
      type: 'object',
      additionalProperties: false,
      required: ['dims', 'names', 'bins', 'binning', 'normalization', 'binary'],
      properties: {
        dims: positiveInt,
        names: { type: 'array', items: name, uniqueItems: true },
        bins: { type: 'integer', minimum: 2 },
        binning: { enum: ['uniform', 'openvla'] },
        normalization: {
          type: 'object',
          additionalProperties: false,
          required: ['q01', 'q99'],
          properties: { q01: numbers, q99: numbers },
        },
        binary: { type: 'array', items: name, uniqueItems: true },
      },
    },
    observation: {
      type: 'object',
      additionalProperties: false,
      required: ['image', 'joints'],
      properties: {
        image: {
          type: 'object',
          additionalProperties: false,
          required: ['input', 'width', 'height', 'channels', 'resize', 'mean', 'std'],
          properties: {
            input: name,
            width: positiveInt,
            height: positiveInt,
            channels: { enum: ['rgb', 'bgr', 'mono'] },
            resize,
            crop,
            mean: numbers,
            std: numbers,
          },
        },
        depth: {
          type: 'object',
          additionalProperties: false,
          required: ['input', 'width', 'height', 'resize', 'minMeters', 'maxMeters'],
          properties: {
            input: name,
            width: positiveInt,
            height: positiveInt,
            resize,
            crop,
            minMeters: { type: 'number', minimum: 0 },
            maxMeters: { type: 'number', exclusiveMinimum: 0 },
          },
        },
        joints: {
          type: 'object',
          additionalProperties: false,
          required: ['input', 'names'],
          properties: { input: name, names: { type: 'array', items: name, minItems: 1, uniqueItems: true } },
        },
        endEffector: {
          type: 'object',
          additionalProperties: false,
          required: ['input'],
          properties: { input: name, frame: name },
        },
      },
    },
    instruction: {
      type: 'object',
      additionalProperties: false,
      required: ['input', 'tokenizer', 'vocabSize', 'maxTokens', 'ngrams'],
      properties: {
        input: name,
        tokenizer: { const: 'word-hash' },
        vocabSize: { type: 'integer', minimum: 2 },
        maxTokens: positiveInt,
        ngrams: { enum: [1, 2] },
      },
    },
    encoder: {
      type: 'object',
      additionalProperties: false,
      required: ['output', 'outputShape'],
      properties: {
        output: name,
        outputShape: { type: 'array', items: positiveInt, minItems: 1, maxItems: 2 },
        blocks: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['name', 'offset', 'size', 'description'],
            properties: {
              name,
              offset: { type: 'integer', minimum: 0 },
              size: positiveInt,
              description: { type: 'string' },
            },
          },
        },
        generator: { type: 'object' },
      },
    },
    head: {
      type: 'object',
      additionalProperties: false,
      required: ['kind', 'inputDim'],
      properties: {
        kind: { enum: ['mlp', 'token-linear'] },
        inputDim: positiveInt,
        hidden: { type: 'array', items: positiveInt },
        activation: { enum: ['gelu', 'gelu_tanh'] },
      },
    },
  },
} as const;

const validate = new Ajv({ allErrors: true, strict: true }).compile<ModelManifest>(MANIFEST_SCHEMA);

/** JSON pointer (/action/q01/3) as the field path people read: action.q01[3]. */
export function fieldPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path ? `${path}.${part}` : part), '');
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function describe(error: ErrorObject): { field: string; problem: string } {
  const path = fieldPath(error.instancePath);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties':
      return { field: join(path, String(params.additionalProperty)), problem: 'unknown field' };
    case 'required':
      return { field: join(path, String(params.missingProperty)), problem: 'missing required field' };
    case 'enum':
      return {
        field: path,
        problem: `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
      };
    case 'const':
      return { field: path, problem: `must be ${JSON.stringify(params.allowedValue)}` };
    default:
      return { field: path || '(top level)', problem: error.message ?? error.keyword };
  }
}

/** Every complaint of the schema; the first names the error's field, the rest follow in the message. */
function schemaError(file: string, errors: ErrorObject[]): ModelPackageError {
  const [first, ...rest] = errors.map(describe);
  const also = rest.map((e) => `\n  also ${e.field}: ${e.problem}`).join('');
  return new ModelPackageError(file, first?.field ?? '', `${first?.problem ?? 'invalid'}${also}`);
}

function checkRules(m: ModelManifest, file: string): void {
  const fail = (field: string, problem: string): never => {
    throw new ModelPackageError(file, field, problem);
  };
  const { action, observation } = m;
  const D = action.dims;
  if (action.names.length !== D)
    fail('action.names', `has ${action.names.length} names; action.dims is ${D}`);
  for (const q of ['q01', 'q99'] as const) {
    const values = action.normalization[q];
    if (values.length !== D)
      fail(`action.normalization.${q}`, `has ${values.length} values; action.dims is ${D}`);
  }
  for (let d = 0; d < D; d++) {
    const lo = action.normalization.q01[d]!;
    const hi = action.normalization.q99[d]!;
    if (!(hi > lo))
      fail(`action.normalization.q99[${d}]`, `${hi} must exceed q01 ${lo} (dim '${action.names[d]}')`);
  }
  action.binary.forEach((b, i) => {
    if (!action.names.includes(b)) fail(`action.binary[${i}]`, `'${b}' is not one of action.names`);
  });
  const image = observation.image;
  const channels = image.channels === 'mono' ? 1 : 3;
  for (const key of ['mean', 'std'] as const) {
    if (image[key].length !== channels)
      fail(
        `observation.image.${key}`,
        `has ${image[key].length} values; channels '${image.channels}' needs ${channels}`,
      );
  }
  image.std.forEach((s, i) => {
    if (!(s > 0)) fail(`observation.image.std[${i}]`, `must be positive, got ${s}`);
  });
  const crops: [string, CropSpec | undefined][] = [
    ['observation.image.crop', image.crop],
    ['observation.depth.crop', observation.depth?.crop],
  ];
  for (const [field, c] of crops) {
    if (!c) continue;
    if (c.width === 0 || c.height === 0) fail(field, 'is empty (zero width or height)');
    if (c.left + c.width > 1 + 1e-9)
      fail(`${field}.width`, 'crop runs past the right edge (left + width > 1)');
    if (c.top + c.height > 1 + 1e-9)
      fail(`${field}.height`, 'crop runs past the bottom edge (top + height > 1)');
  }
  const depth = observation.depth;
  if (depth && !(depth.maxMeters > depth.minMeters))
    fail('observation.depth.maxMeters', `${depth.maxMeters} must exceed minMeters ${depth.minMeters}`);
  const inputs: [string, string][] = [
    ['observation.image.input', image.input],
    ['observation.joints.input', observation.joints.input],
    ['instruction.input', m.instruction.input],
  ];
  if (depth) inputs.push(['observation.depth.input', depth.input]);
  if (observation.endEffector) inputs.push(['observation.endEffector.input', observation.endEffector.input]);
  inputs.forEach(([field, input], i) => {
    const earlier = inputs.slice(0, i).find(([, other]) => other === input);
    if (earlier) fail(field, `encoder input '${input}' is already fed by ${earlier[0]}`);
  });
  const expectedShape = m.head.kind === 'mlp' ? [m.head.inputDim] : [D, m.head.inputDim];
  if (m.encoder.outputShape.join() !== expectedShape.join())
    fail(
      'encoder.outputShape',
      `[${m.encoder.outputShape.join(', ')}] does not match the ${m.head.kind} head's input ` +
        `[${expectedShape.join(', ')}] (head.inputDim ${m.head.inputDim}${m.head.kind === 'token-linear' ? `, action.dims ${D}` : ''})`,
    );
  if (m.head.kind === 'token-linear' && m.head.hidden?.length)
    fail('head.hidden', 'a token-linear head has no hidden layers');
  const F = m.encoder.outputShape.reduce((a, b) => a * b, 1);
  let covered = 0;
  (m.encoder.blocks ?? []).forEach((b, i) => {
    if (b.offset !== covered)
      fail(`encoder.blocks[${i}].offset`, `is ${b.offset}; the blocks before it end at ${covered}`);
    covered += b.size;
  });
  if (m.encoder.blocks && covered !== F)
    fail('encoder.blocks', `cover ${covered} feature values; the encoder outputs ${F}`);
}

/** Validates parsed JSON as a manifest; every problem is an error naming `file` and the field. */
export function parseManifest(json: unknown, file: string): ModelManifest {
  if (!validate(json)) throw schemaError(file, validate.errors ?? []);
  checkRules(json, file);
  return json;
}

/** Reads a manifest from its JSON text. */
export function parseManifestText(text: string, file: string): ModelManifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ModelPackageError(file, '', `not valid JSON (${(error as Error).message})`);
  }
  return parseManifest(json, file);
}
