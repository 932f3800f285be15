// Declares grape_policy's parameters on an rclnodejs node from the parameter table, with descriptors
// (description, read-only unless dynamic, numeric ranges, allowed values) and an on-set callback that
// rejects bad values with a sentence saying what is wrong. Values given at launch are checked before
// they are declared: rclnodejs's own descriptor errors do not say which rule a value broke.
import type { Node, Parameter, ParameterDescriptor, ParameterType } from 'rclnodejs';

import type { Rclnodejs } from './rclnodejs-loader.js';
import {
  PARAMETER_NAMES,
  parameterProblem,
  parameterSetProblems,
  parameterSpec,
  POLICY_NODE_PARAMETERS,
  type ParameterKind,
  type ParameterName,
  type ParameterSpec,
  type ParameterValue,
  type PolicyNodeParameters,
} from './parameter-spec.js';

const ENUM_NAMES: Record<ParameterKind, string> = {
  bool: 'PARAMETER_BOOL',
  integer: 'PARAMETER_INTEGER',
  double: 'PARAMETER_DOUBLE',
  string: 'PARAMETER_STRING',
  double_array: 'PARAMETER_DOUBLE_ARRAY',
};

/** The ROS parameter type of each kind, from rclnodejs's ParameterType enum. */
function rosParameterTypes(rcl: Rclnodejs): Map<ParameterKind, ParameterType> {
  // rclnodejs types the enum as an ambient const enum, which verbatimModuleSyntax cannot read: its
  // runtime object is read instead.
  const types = (rcl as unknown as { ParameterType: Record<string, ParameterType> }).ParameterType;
  return new Map(
    Object.entries(ENUM_NAMES).map(([kind, name]) => {
      const type = types[name];
      if (type === undefined) throw new Error(`rclnodejs has no ParameterType.${name}`);
      return [kind as ParameterKind, type];
    }),
  );
}

export class RosParameterError extends Error {
  override readonly name = 'RosParameterError';
  constructor(readonly problems: string[]) {
    super(`bad grape_policy parameters:\n  ${problems.join('\n  ')}`);
  }
}

type DynamicName = {
  [N in ParameterName]: (typeof POLICY_NODE_PARAMETERS)[N] extends { dynamic: true } ? N : never;
}[ParameterName];

/** A parameter's value as the spec types it: rclnodejs hands integers over as bigint. */
function plainValue(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value) || ArrayBuffer.isView(value))
    return Array.from(value as ArrayLike<unknown>, plainValue);
  return value;
}

function rosValue(spec: ParameterSpec, value: ParameterValue): unknown {
  return spec.kind === 'integer' ? BigInt(value as number) : value;
}

export class RosParameters {
  private constructor(
    private readonly node: Node,
    /** Every parameter as the node started with it. */
    readonly initial: Readonly<PolicyNodeParameters>,
  ) {}

  /**
   * Declares every parameter on `node` (rclnodejs declares use_sim_time itself) and returns them
   * read back. Throws RosParameterError listing every bad value given at launch.
   */
  static declare(rcl: Rclnodejs, node: Node): RosParameters {
    const types = rosParameterTypes(rcl);
    const kindOf = new Map([...types].map(([kind, type]) => [type, kind]));
    const problems: string[] = [];
    for (const override of node.getParameterOverrides()) {
      if (!parameterSpec(override.name)) {
        node.getLogger().warn(`ignoring parameter ${override.name}: grape_policy has no such parameter`);
        continue;
      }
      const kind = kindOf.get(override.type) ?? 'other';
      const problem = parameterProblem(override.name, plainValue(override.value), kind);
      if (problem) problems.push(problem);
    }
    if (problems.length > 0) throw new RosParameterError(problems);

    node.addOnSetParametersCallback((parameters: Parameter[]) => {
      for (const parameter of parameters) {
        if (!parameterSpec(parameter.name)) continue; // not ours (rclnodejs's own, e.g. qos overrides)
        const problem = parameterProblem(parameter.name, plainValue(parameter.value));
        if (problem) return { successful: false, reason: problem };
      }
      return { successful: true, reason: '' };
    });

    const declared = PARAMETER_NAMES.map((name) => [name, parameterSpec(name)!] as const).filter(
      ([, spec]) => !(spec.kind === 'bool' && spec.declaredByRclnodejs),
    );
    node.declareParameters(
      declared.map(
        ([name, spec]) => new rcl.Parameter(name, types.get(spec.kind)!, rosValue(spec, spec.default)),
      ),
      declared.map(([name, spec]) => descriptor(rcl, types.get(spec.kind)!, name, spec)),
    );

    const values = Object.fromEntries(
      PARAMETER_NAMES.map((name) => [name, plainValue(node.getParameter(name).value)]),
    ) as PolicyNodeParameters;
    const setProblems = parameterSetProblems(values);
    if (setProblems.length > 0) throw new RosParameterError(setProblems);
    return new RosParameters(node, values);
  }

  /** A dynamic parameter's value now (operators may change it between episodes). */
  current<N extends DynamicName>(name: N): PolicyNodeParameters[N] {
    return plainValue(this.node.getParameter(name).value) as PolicyNodeParameters[N];
  }
}

function descriptor(
  rcl: Rclnodejs,
  type: ParameterType,
  name: ParameterName,
  spec: ParameterSpec,
): ParameterDescriptor {
  const range =
    spec.kind === 'double'
      ? new rcl.FloatingPointRange(spec.range.from, spec.range.to, 0)
      : spec.kind === 'integer'
        ? new rcl.IntegerRange(BigInt(spec.range.from), BigInt(spec.range.to), 1n)
        : undefined;
  const d = new rcl.ParameterDescriptor(name, type, spec.description, spec.dynamic !== true, range);
  // Said in words too: rclnodejs enforces the range but leaves it out of the descriptor message
  // that `ros2 param describe` shows.
  if (spec.kind === 'double' || spec.kind === 'integer')
    d.additionalConstraints = `from ${spec.range.from} to ${spec.range.to}`;
  else if (spec.kind === 'string' && spec.choices)
    d.additionalConstraints = `one of: ${spec.choices.join(', ')}`;
  return d;
}
