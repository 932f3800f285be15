// The parameters of node grape_policy in one table: type, default, description, range and what else
// a value must satisfy. The adapter declares them from it (ros-parameters.ts); launch/policy.launch.py
// declares the same set with the same defaults (test/ros-launch.test.ts holds them together).
import { OBJECTIVES } from '../gcpg/cost-spec.js';

interface SpecBase {
  description: string;
  /** May be set while the node runs (`ros2 param set`); read when the next episode starts. */
  dynamic?: boolean;
}

interface StringSpec extends SpecBase {
  kind: 'string';
  default: string;
  choices?: readonly string[];
  /** What else is wrong with a value, in words; undefined when nothing is. */
  check?: (value: string) => string | undefined;
}

interface BoolSpec extends SpecBase {
  kind: 'bool';
  default: boolean;
  /** rclnodejs's time source declares it on every node (use_sim_time); the adapter only reads it. */
  declaredByRclnodejs?: boolean;
}

interface NumberSpec extends SpecBase {
  kind: 'double' | 'integer';
  default: number;
  /** Inclusive. */
  range: { from: number; to: number };
}

interface DoubleArraySpec extends SpecBase {
  kind: 'double_array';
  default: number[];
  check?: (value: readonly number[]) => string | undefined;
}

export type ParameterSpec = StringSpec | BoolSpec | NumberSpec | DoubleArraySpec;
export type ParameterKind = ParameterSpec['kind'];
export type ParameterValue = string | boolean | number | number[];

const CAMERA_TYPES = ['Image', 'CompressedImage'] as const;

const ACTION_TYPES = [
  'geometry_msgs/msg/TwistStamped',
  'std_msgs/msg/Float64MultiArray',
  'grape/msg/Action',
] as const;
export type ActionType = (typeof ACTION_TYPES)[number];

function topicName(value: string): string | undefined {
  return /^(~\/|\/)?[A-Za-z_{][\w{}/]*$/.test(value) && !value.includes('//') && !value.endsWith('/')
    ? undefined
    : `'${value}' is not a ROS topic name`;
}

function optionalTopicName(value: string): string | undefined {
  return value === '' ? undefined : topicName(value);
}

function point(value: readonly number[]): string | undefined {
  return value.length === 0 || (value.length === 3 && value.every(Number.isFinite))
    ? undefined
    : `must be empty (no box) or 3 finite values x, y, z, got [${value.join(', ')}]`;
}

export const POLICY_NODE_PARAMETERS = {
  model: {
    kind: 'string',
    default: '',
    description:
      'model package directory (policy.json, encoder.onnx, head.safetensors); empty: the default model in data_dir',
  },
  checkpoint: {
    kind: 'string',
    default: '',
    description:
      "adapter id under the model's adapters/ to run ('base': the package's own head); empty: the promoted one (grape policy promote), the own head before any",
  },
  instruction: {
    kind: 'string',
    default: '',
    dynamic: true,
    description: 'language instruction of the episodes started without one',
  },
  task_id: {
    kind: 'string',
    default: '',
    dynamic: true,
    description: 'task id recorded with the episodes started without one (episodes are scored per task)',
  },
  operator: {
    kind: 'string',
    default: '',
    dynamic: true,
    description: 'who runs the trials, recorded with every episode and session',
  },
  camera_topic: {
    kind: 'string',
    default: '/camera/image_raw',
    description: 'camera topic the policy sees',
    check: topicName,
  },
  camera_type: {
    kind: 'string',
    default: 'Image',
    choices: CAMERA_TYPES,
    description: 'camera message type: Image (sensor_msgs/msg/Image) or CompressedImage (jpeg/png)',
  },
  joint_states_topic: {
    kind: 'string',
    default: '/joint_states',
    description: "sensor_msgs/msg/JointState topic; joints are matched to the model's by name",
    check: topicName,
  },
  ee_pose_topic: {
    kind: 'string',
    default: '',
    description:
      'geometry_msgs/msg/PoseStamped end-effector pose (workspace limit, models that take it); empty: none',
    check: optionalTopicName,
  },
  action_topic: {
    kind: 'string',
    default: '/servo_node/delta_twist_cmds',
    description: "where actions are published (default: MoveIt Servo's twist command topic)",
    check: topicName,
  },
  action_type: {
    kind: 'string',
    default: 'geometry_msgs/msg/TwistStamped',
    choices: ACTION_TYPES,
    description:
      'TwistStamped (MoveIt Servo, gripper on gripper_topic), Float64MultiArray or grape/msg/Action (the raw action vector)',
  },
  action_frame: {
    kind: 'string',
    default: 'base_link',
    description: 'frame_id of published actions: the frame the end-effector deltas are in (the robot base)',
  },
  gripper_topic: {
    kind: 'string',
    default: '/grape/gripper_command',
    description:
      'std_msgs/msg/Float64 gripper command (1 close, 0 open) beside TwistStamped actions; empty: none',
    check: optionalTopicName,
  },
  rate_hz: {
    kind: 'double',
    default: 10,
    range: { from: 0.1, to: 100 },
    description: 'control rate: one policy step per period',
  },
  device: {
    kind: 'string',
    default: 'auto',
    description: 'where the action head runs: auto, cpu, cuda or cuda:N',
    check: (v) =>
      /^(auto|cpu|cuda(:\d+)?)$/.test(v) ? undefined : `must be auto, cpu, cuda or cuda:N, got '${v}'`,
  },
  data_dir: {
    kind: 'string',
    default: '',
    description: 'where episodes are recorded; empty: $GRAPE_DATA_DIR, else ~/.grape',
  },
  dry_run: {
    kind: 'bool',
    default: true,
    description: 'compute and record every step, publish no action (turn off once the dry run looks right)',
  },
  objective: {
    kind: 'string',
    default: 'task',
    dynamic: true,
    choices: OBJECTIVES,
    description: "alignment objective the session's episodes are scored for: task, safety or efficiency",
  },
  auto_promote: {
    kind: 'bool',
    default: false,
    dynamic: true,
    description:
      "end_session's training job promotes its candidate and the node loads it before the next episode; false: the candidate waits for grape policy promote and ~/reload_policy",
  },
  stale_timeout: {
    kind: 'double',
    default: 0.5,
    range: { from: 0.01, to: 10 },
    description: 's without a camera frame or joint state (or pose) before the robot is held',
  },
  max_steps: {
    kind: 'integer',
    default: 0,
    range: { from: 0, to: 10_000_000 },
    description: 'an episode ends as a failure (timeout) after this many steps; 0: never',
  },
  max_translation: {
    kind: 'double',
    default: 0.05,
    range: { from: 0.0001, to: 1 },
    description: 'largest end-effector move per step and axis, m (larger ones are clamped and flagged)',
  },
  max_rotation: {
    kind: 'double',
    default: 0.3,
    range: { from: 0.0001, to: Math.PI },
    description: 'largest end-effector rotation per step and axis, rad',
  },
  workspace_min: {
    kind: 'double_array',
    default: [],
    description:
      'lower corner x, y, z of the box the end effector must stay in (needs ee_pose_topic); empty: none',
    check: point,
  },
  workspace_max: {
    kind: 'double_array',
    default: [],
    description: 'upper corner x, y, z of that box',
    check: point,
  },
  greedy: {
    kind: 'bool',
    default: false,
    description: 'take the most likely action (evaluation); false samples (the rollouts GRAPE learns from)',
  },
  temperature: {
    kind: 'double',
    default: 1,
    range: { from: 0.01, to: 10 },
    description: 'sampling temperature (the logged log-likelihood is untempered whatever it is)',
  },
  top_k: {
    kind: 'integer',
    default: 0,
    range: { from: 0, to: 65535 },
    description: 'sample among the k most likely bins per action dim; 0: all',
  },
  record_features: {
    kind: 'bool',
    default: true,
    description: "record each step's encoder features (the training cache; about 2 KB a step)",
  },
  raw_subscriptions: {
    kind: 'bool',
    default: true,
    description: 'subscribe to serialized messages so the bag holds the bytes exactly as received',
  },
  use_sim_time: {
    kind: 'bool',
    default: false,
    declaredByRclnodejs: true,
    description: 'take time from /clock (simulation, bag replay)',
  },
} as const satisfies Record<string, ParameterSpec>;

export type ParameterName = keyof typeof POLICY_NODE_PARAMETERS;

type ValueOf<S> = S extends { kind: 'string' }
  ? string
  : S extends { kind: 'bool' }
    ? boolean
    : S extends { kind: 'double_array' }
      ? number[]
      : number;

export type PolicyNodeParameters = {
  -readonly [N in ParameterName]: ValueOf<(typeof POLICY_NODE_PARAMETERS)[N]>;
};

export const PARAMETER_NAMES = Object.keys(POLICY_NODE_PARAMETERS) as ParameterName[];

export function parameterSpec(name: string): ParameterSpec | undefined {
  return Object.hasOwn(POLICY_NODE_PARAMETERS, name)
    ? (POLICY_NODE_PARAMETERS as Record<string, ParameterSpec>)[name]
    : undefined;
}

const KIND_WORDS: Record<ParameterKind, string> = {
  string: 'a string',
  bool: 'true or false',
  double: 'a floating-point number (write 10.0, not 10)',
  integer: 'an integer',
  double_array: 'a list of floating-point numbers',
};

function hasKind(kind: ParameterKind, value: unknown): boolean {
  switch (kind) {
    case 'string':
      return typeof value === 'string';
    case 'bool':
      return typeof value === 'boolean';
    case 'double':
      return typeof value === 'number';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'double_array':
      return Array.isArray(value) && value.every((v) => typeof v === 'number');
  }
}

/**
 * What is wrong with `value` for parameter `name`, as a sentence naming both; undefined when nothing
 * is. `givenKind`: the type the value was given as, where it is known (10 given as an integer is not
 * a double; 'other': a type no grape parameter has, such as a list of strings).
 */
export function parameterProblem(
  name: string,
  value: unknown,
  givenKind?: ParameterKind | 'other',
): string | undefined {
  const spec = parameterSpec(name);
  if (!spec) return `${name} is not a parameter of grape_policy`;
  if ((givenKind !== undefined && givenKind !== spec.kind) || !hasKind(spec.kind, value))
    return `${name} must be ${KIND_WORDS[spec.kind]}, got ${JSON.stringify(value)}`;
  let problem: string | undefined;
  switch (spec.kind) {
    case 'string': {
      const v = value as string;
      if (spec.choices && !spec.choices.includes(v))
        problem = `must be one of ${spec.choices.join(', ')}, got '${v}'`;
      else problem = spec.check?.(v);
      break;
    }
    case 'double':
    case 'integer': {
      const v = value as number;
      if (!(v >= spec.range.from && v <= spec.range.to))
        problem = `must be between ${spec.range.from} and ${spec.range.to}, got ${v}`;
      break;
    }
    case 'double_array':
      problem = spec.check?.(value as number[]);
      break;
    case 'bool':
      break;
  }
  return problem === undefined ? undefined : `${name} ${problem}`;
}

/** What is wrong across parameters (each one being valid alone). */
export function parameterSetProblems(p: Readonly<PolicyNodeParameters>): string[] {
  const problems: string[] = [];
  const { workspace_min: min, workspace_max: max } = p;
  if (min.length !== max.length) {
    problems.push('workspace_min and workspace_max must be set together (3 values each) or both left empty');
  } else if (min.some((v, i) => !(v < max[i]!))) {
    problems.push(
      `workspace_min [${min.join(', ')}] must be below workspace_max [${max.join(', ')}] on every axis`,
    );
  }
  if (min.length > 0 && p.ee_pose_topic === '')
    problems.push('the workspace box needs the end-effector pose: set ee_pose_topic');
  return problems;
}
