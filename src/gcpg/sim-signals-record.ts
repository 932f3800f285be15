// How the simulator's per-step signals travel in a recorded episode: one JSON document per control step
// on SIM_SIGNALS_TOPIC (std_msgs/msg/String), each self-contained (it carries the episode's roles), so
// a bag cut short still scores up to its last step. Read back with a schema check, so a damaged or
// foreign message is an error naming the step, never a silent zero.
import { Ajv } from 'ajv';

import { fieldPath } from '../policy/model-manifest.js';
import { asciiJson } from '../episode/ascii-json.js';
import type { StepSignals } from '../sim/step-signals.js';
import type { TaskRoles } from '../sim/task-spec.js';

export const SIM_SIGNALS_TOPIC = '/grape/sim_signals';
export const SIM_SIGNALS_TYPE = 'std_msgs/msg/String';
export const SIM_SIGNALS_FORMAT = 'grape-sim-signals/1';

export interface SimSignalsRecord {
  format: typeof SIM_SIGNALS_FORMAT;
  roles: TaskRoles;
  signals: StepSignals;
}

const number = { type: 'number' };
const vec3 = { type: 'array', items: number, minItems: 3, maxItems: 3 };
const quat = { type: 'array', items: number, minItems: 4, maxItems: 4 };
const pose = {
  type: 'object',
  properties: { position: vec3, orientation: quat },
  required: ['position', 'orientation'],
};
const strings = { type: 'array', items: { type: 'string' } };

const RECORD_SCHEMA = {
  type: 'object',
  properties: {
    format: { const: SIM_SIGNALS_FORMAT },
    roles: {
      type: 'object',
      properties: {
        target: { type: 'string' },
        destination: { type: 'string' },
        obstacles: strings,
        distractors: strings,
      },
      required: ['target', 'obstacles', 'distractors'],
    },
    signals: {
      type: 'object',
      properties: {
        step: { type: 'integer', minimum: 0 },
        time: number,
        ee: pose,
        gripper: {
          type: 'object',
          properties: {
            command: { enum: ['open', 'close'] },
            width: number,
            grasped: { type: ['string', 'null'] },
          },
          required: ['command', 'width', 'grasped'],
        },
        objects: {
          type: 'object',
          additionalProperties: {
            type: 'object',
            properties: { position: vec3, orientation: quat, velocity: vec3 },
            required: ['position', 'orientation', 'velocity'],
          },
        },
        fixtures: { type: 'object', additionalProperties: pose },
        contacts: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              link: { type: 'string' },
              other: { type: 'string' },
              kind: { enum: ['table', 'object', 'fixture', 'obstacle'] },
              target: { type: 'boolean' },
              force: number,
            },
            required: ['link', 'other', 'kind', 'target', 'force'],
          },
        },
        pathLength: number,
      },
      required: ['step', 'time', 'ee', 'gripper', 'objects', 'fixtures', 'contacts', 'pathLength'],
    },
  },
  required: ['format', 'roles', 'signals'],
};

const validateRecord = new Ajv({
  allErrors: false,
  strict: true,
  allowUnionTypes: true,
}).compile<SimSignalsRecord>(RECORD_SCHEMA);

/** The message data for one step. */
export function encodeSimSignals(signals: StepSignals, roles: TaskRoles): string {
  const record: SimSignalsRecord = { format: SIM_SIGNALS_FORMAT, roles, signals };
  return asciiJson(record);
}

/** One step's record from its message data; `where` names the message in errors. */
export function decodeSimSignals(data: string, where: string): SimSignalsRecord {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch (error) {
    throw new Error(`${where}: not a ${SIM_SIGNALS_FORMAT} record (not JSON: ${(error as Error).message})`, {
      cause: error,
    });
  }
  if (!validateRecord(value)) {
    const e = validateRecord.errors?.[0];
    throw new Error(
      `${where}: not a ${SIM_SIGNALS_FORMAT} record (${fieldPath(e?.instancePath ?? '') || 'record'} ${e?.message ?? 'invalid'})`,
    );
  }
  return value;
}
