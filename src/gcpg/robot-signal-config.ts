// Where a robot's logged episodes keep the signals GCPG scores on: the end-effector pose topic, the
// gripper's finger joints, an optional force-torque topic for contacts, object keypoints (tracked on
// pose topics or configured as fixed points), the episode's roles, and the depth camera that lifts
// pixel keypoints. A YAML or JSON file, validated with errors naming the field.
import { readFileSync } from 'node:fs';

import { Ajv } from 'ajv';
import { parse as parseYaml } from 'yaml';

import type { Pose } from '../messages/ros-messages.js';
import { fieldPath } from '../policy/model-manifest.js';
import type { Role, Vec3 } from './cost-spec.js';

export interface RobotSignalConfig {
  /** the world frame every pose is in; a pose stamped with another frame is an error (no TF here) */
  frame?: string;
  /** z of the table top in that frame (default 0) */
  tableHeight?: number;
  /** geometry_msgs/PoseStamped of the tool centre point */
  eePose: { topic: string };
  gripper?: {
    /** sensor_msgs/JointState */
    topic: string;
    /** finger joints whose positions add up to the opening width, m */
    joints: string[];
    /** narrower than this, the gripper is closed */
    closedBelow: number;
    /** closed and narrower than this, it closed on nothing */
    emptyBelow: number;
  };
  /** geometry_msgs/WrenchStamped at the wrist: a force this far from the first reading is a contact, N */
  contacts?: { topic: string; forceThreshold: number };
  /** keypoints by name: tracked on a PoseStamped topic, or fixed where they are */
  objects?: Record<string, { topic: string } | { position: Vec3 }>;
  /** which object the task moves and where it goes */
  roles?: Partial<Record<Role, string>>;
  /** a depth image registered to the colour camera, its CameraInfo, and the camera optical frame's pose in the world frame */
  camera?: { depthTopic: string; infoTopic: string; extrinsics: Pose };
}

const topic = { type: 'string', pattern: '^/[A-Za-z0-9_/]*$' };
const finite = { type: 'number' };
const xyz = {
  type: 'object',
  properties: { x: finite, y: finite, z: finite },
  required: ['x', 'y', 'z'],
  additionalProperties: false,
};

const SCHEMA = {
  type: 'object',
  properties: {
    frame: { type: 'string', minLength: 1 },
    tableHeight: finite,
    eePose: { type: 'object', properties: { topic }, required: ['topic'], additionalProperties: false },
    gripper: {
      type: 'object',
      properties: {
        topic,
        joints: { type: 'array', items: { type: 'string' }, minItems: 1 },
        closedBelow: { type: 'number', exclusiveMinimum: 0 },
        emptyBelow: { type: 'number', minimum: 0 },
      },
      required: ['topic', 'joints', 'closedBelow', 'emptyBelow'],
      additionalProperties: false,
    },
    contacts: {
      type: 'object',
      properties: { topic, forceThreshold: { type: 'number', exclusiveMinimum: 0 } },
      required: ['topic', 'forceThreshold'],
      additionalProperties: false,
    },
    objects: {
      type: 'object',
      additionalProperties: {
        oneOf: [
          { type: 'object', properties: { topic }, required: ['topic'], additionalProperties: false },
          {
            type: 'object',
            properties: { position: { type: 'array', items: finite, minItems: 3, maxItems: 3 } },
            required: ['position'],
            additionalProperties: false,
          },
        ],
      },
    },
    roles: {
      type: 'object',
      properties: { target: { type: 'string' }, destination: { type: 'string' } },
      additionalProperties: false,
    },
    camera: {
      type: 'object',
      properties: {
        depthTopic: topic,
        infoTopic: topic,
        extrinsics: {
          type: 'object',
          properties: {
            position: xyz,
            orientation: {
              type: 'object',
              properties: { x: finite, y: finite, z: finite, w: finite },
              required: ['x', 'y', 'z', 'w'],
              additionalProperties: false,
            },
          },
          required: ['position', 'orientation'],
          additionalProperties: false,
        },
      },
      required: ['depthTopic', 'infoTopic', 'extrinsics'],
      additionalProperties: false,
    },
  },
  required: ['eePose'],
  additionalProperties: false,
};

const validate = new Ajv({ allErrors: true, strict: true }).compile<RobotSignalConfig>(SCHEMA);

/** Checks a parsed configuration; `source` names it in errors. */
export function checkRobotSignalConfig(value: unknown, source: string): RobotSignalConfig {
  if (!validate(value)) {
    const problems = (validate.errors ?? []).map((e) => {
      const params = e.params as Record<string, unknown>;
      const extra = e.keyword === 'additionalProperties' ? ` (${String(params.additionalProperty)})` : '';
      return `${fieldPath(e.instancePath) || '(top level)'} ${e.message ?? e.keyword}${extra}`;
    });
    throw new Error(`${source}: not a valid signal configuration: ${problems.join('; ')}`);
  }
  const g = value.gripper;
  if (g && g.emptyBelow >= g.closedBelow) {
    throw new Error(
      `${source}: gripper.emptyBelow (${g.emptyBelow}) must be less than gripper.closedBelow (${g.closedBelow})`,
    );
  }
  for (const [role, name] of Object.entries(value.roles ?? {})) {
    if (!(name in (value.objects ?? {})))
      throw new Error(`${source}: roles.${role} names "${name}", which objects does not configure`);
  }
  return value;
}

/** Reads a YAML (or JSON) signal configuration file. */
export function loadRobotSignalConfig(file: string): RobotSignalConfig {
  let value: unknown;
  try {
    value = parseYaml(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file}: cannot read the signal configuration: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return checkRobotSignalConfig(value, file);
}
