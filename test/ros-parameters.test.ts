// grape_policy's parameters: the table's validation, and their declaration on a node (rclnodejs's
// own Parameter/ParameterDescriptor/range classes; the node is the fake ROS graph's).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Parameter, ParameterType } from 'rclnodejs/lib/parameter.js';
import type { Node } from 'rclnodejs';

import {
  PARAMETER_NAMES,
  POLICY_NODE_PARAMETERS,
  parameterProblem,
  parameterSetProblems,
  type PolicyNodeParameters,
} from '../src/ros/parameter-spec.js';
import { RosParameterError, RosParameters } from '../src/ros/ros-parameters.js';
import { FakeRosGraph, type FakeRosOptions } from './helpers/fake-rclnodejs.js';

function defaults(): PolicyNodeParameters {
  return Object.fromEntries(
    PARAMETER_NAMES.map((name) => {
      const value = POLICY_NODE_PARAMETERS[name].default;
      return [name, Array.isArray(value) ? [...(value as number[])] : value];
    }),
  ) as PolicyNodeParameters;
}

function declareOn(options: FakeRosOptions = {}) {
  const graph = new FakeRosGraph(options);
  const rcl = graph.rclnodejs();
  const node = new rcl.Node('grape_policy');
  return { graph, node, parameters: RosParameters.declare(rcl, node) };
}

/** `ros2 param set` on the fake node: the result rclnodejs would answer with. */
function setParameter(node: Node, parameter: InstanceType<typeof Parameter>) {
  return (
    node as unknown as { setParameters(p: unknown[]): { successful: boolean; reason: string }[] }
  ).setParameters([parameter])[0]!;
}

describe('parameter table', () => {
  it('accepts every default', () => {
    for (const name of PARAMETER_NAMES)
      assert.equal(parameterProblem(name, POLICY_NODE_PARAMETERS[name].default), undefined, name);
    assert.deepEqual(parameterSetProblems(defaults()), []);
  });

  it('names the parameter and what is wrong with a bad value', () => {
    const cases: [string, unknown, RegExp][] = [
      ['camera_type', 'Png', /^camera_type must be one of Image, CompressedImage, got 'Png'$/],
      [
        'action_type',
        'geometry_msgs/Twist',
        /^action_type must be one of geometry_msgs\/msg\/TwistStamped, /,
      ],
      ['rate_hz', 500, /^rate_hz must be between 0\.1 and 100, got 500$/],
      ['rate_hz', 0, /^rate_hz must be between/],
      ['rate_hz', 'fast', /^rate_hz must be a floating-point number/],
      ['max_steps', 2.5, /^max_steps must be an integer, got 2\.5$/],
      ['top_k', -1, /^top_k must be between 0 and 65535, got -1$/],
      ['device', 'gpu', /^device must be auto, cpu, cuda or cuda:N, got 'gpu'$/],
      ['camera_topic', 'camera image', /^camera_topic 'camera image' is not a ROS topic name$/],
      ['camera_topic', '', /^camera_topic '' is not a ROS topic name$/],
      ['workspace_min', [0.1, 0.2], /^workspace_min must be empty \(no box\) or 3 finite values/],
      ['objective', 'speed', /^objective must be one of task, safety, efficiency, got 'speed'$/],
      ['dry_run', 'false', /^dry_run must be true or false, got "false"$/],
      ['rate', 10, /^rate is not a parameter of grape_policy$/],
    ];
    for (const [name, value, expected] of cases)
      assert.match(parameterProblem(name, value) ?? 'ok', expected);
    for (const ok of ['cuda:1', 'cpu', 'auto']) assert.equal(parameterProblem('device', ok), undefined);
    for (const ok of ['/camera/color/image_raw', '~/image', 'camera', '/ns/{node}/x'])
      assert.equal(parameterProblem('camera_topic', ok), undefined, ok);
    assert.equal(parameterProblem('ee_pose_topic', ''), undefined);
  });

  it('tells an integer given for a floating-point parameter apart', () => {
    assert.match(
      parameterProblem('rate_hz', 10, 'integer') ?? '',
      /^rate_hz must be a floating-point number \(write 10\.0, not 10\), got 10$/,
    );
    assert.equal(parameterProblem('rate_hz', 10, 'double'), undefined);
    assert.match(parameterProblem('instruction', ['a', 'b'], 'other') ?? '', /^instruction must be a string/);
  });

  it('checks the workspace box as a whole', () => {
    const p = defaults();
    assert.deepEqual(parameterSetProblems({ ...p, workspace_min: [0, 0, 0] }), [
      'workspace_min and workspace_max must be set together (3 values each) or both left empty',
      'the workspace box needs the end-effector pose: set ee_pose_topic',
    ]);
    assert.deepEqual(
      parameterSetProblems({
        ...p,
        workspace_min: [0.2, -0.4, 0],
        workspace_max: [0.8, -0.5, 0.5],
        ee_pose_topic: '/ee',
      }),
      ['workspace_min [0.2, -0.4, 0] must be below workspace_max [0.8, -0.5, 0.5] on every axis'],
    );
    assert.deepEqual(
      parameterSetProblems({
        ...p,
        workspace_min: [0.2, -0.4, 0],
        workspace_max: [0.8, 0.4, 0.5],
        ee_pose_topic: '/ee',
      }),
      [],
    );
  });
});

describe('RosParameters', () => {
  it('declares every parameter with its descriptor: read-only unless dynamic, ranges, allowed values', () => {
    const { node, parameters } = declareOn();
    assert.deepEqual(parameters.initial, defaults());
    for (const name of PARAMETER_NAMES) {
      const spec = POLICY_NODE_PARAMETERS[name];
      assert.ok(node.hasParameter(name), name);
      if ('declaredByRclnodejs' in spec) continue; // rclnodejs's time source owns its descriptor
      const d = node.getParameterDescriptor(name);
      assert.equal(d.description, spec.description, name);
      assert.equal(d.readOnly, !('dynamic' in spec), name);
      if ('range' in spec) {
        assert.ok(d.hasRange(), name);
        assert.equal(d.additionalConstraints, `from ${spec.range.from} to ${spec.range.to}`);
        const type = node.getParameter(name).type;
        const outside = spec.kind === 'integer' ? BigInt(spec.range.to + 1) : spec.range.to * 1.5;
        assert.throws(() => {
          d.validateParameter(new Parameter(name, type, outside));
        }, /out of range/);
        d.validateParameter(
          new Parameter(name, type, spec.kind === 'integer' ? BigInt(spec.range.to) : spec.range.to),
        );
      }
      if ('choices' in spec) assert.equal(d.additionalConstraints, `one of: ${spec.choices.join(', ')}`);
    }
    assert.equal(node.getParameter('max_steps').type, ParameterType.PARAMETER_INTEGER);
    assert.equal(node.getParameter('rate_hz').type, ParameterType.PARAMETER_DOUBLE);
    assert.equal(node.getParameter('workspace_min').type, ParameterType.PARAMETER_DOUBLE_ARRAY);
  });

  it('takes the values given at launch', () => {
    const { parameters } = declareOn({
      overrides: {
        rate_hz: 5.5,
        dry_run: false,
        max_steps: 300n,
        camera_type: 'CompressedImage',
        workspace_min: [0.2, -0.4, 0.01],
        workspace_max: [0.8, 0.4, 0.55],
        ee_pose_topic: '/ee_pose',
        use_sim_time: true,
      },
    });
    const p = parameters.initial;
    assert.equal(p.rate_hz, 5.5);
    assert.equal(p.dry_run, false);
    assert.equal(p.max_steps, 300);
    assert.equal(p.camera_type, 'CompressedImage');
    assert.deepEqual(p.workspace_max, [0.8, 0.4, 0.55]);
    assert.equal(p.use_sim_time, true);
  });

  it('refuses bad launch values all at once, each named with what is wrong', () => {
    assert.throws(
      () => declareOn({ overrides: { rate_hz: 10n, camera_type: 'Png', top_k: 70000n } }),
      (error: unknown) => {
        assert.ok(error instanceof RosParameterError);
        assert.deepEqual(error.problems, [
          'rate_hz must be a floating-point number (write 10.0, not 10), got 10',
          "camera_type must be one of Image, CompressedImage, got 'Png'",
          'top_k must be between 0 and 65535, got 70000',
        ]);
        assert.match(error.message, /^bad grape_policy parameters:\n {2}rate_hz/);
        return true;
      },
    );
    assert.throws(
      () => declareOn({ overrides: { workspace_min: [0, 0, 0] } }),
      /workspace_min must be a list of floating-point numbers, got \[0,0,0\]/,
    );
    assert.throws(
      () => declareOn({ overrides: { workspace_min: [0.5, 0.5, 0.5] } }),
      /workspace_min and workspace_max must be set together/,
    );
  });

  it('warns about values for parameters it does not have', () => {
    const { graph } = declareOn({ overrides: { rate: 10.5 } });
    assert.ok(
      graph.logs.some(
        (l) =>
          l.level === 'warn' && l.message === 'ignoring parameter rate: grape_policy has no such parameter',
      ),
    );
  });

  it('lets operators change dynamic parameters between episodes, validated', () => {
    const { node, parameters } = declareOn({ overrides: { instruction: 'pick up the cup' } });
    assert.equal(parameters.current('instruction'), 'pick up the cup');
    assert.deepEqual(
      setParameter(node, new Parameter('instruction', ParameterType.PARAMETER_STRING!, 'stack the blocks')),
      {
        successful: true,
        reason: '',
      },
    );
    assert.equal(parameters.current('instruction'), 'stack the blocks');
    assert.deepEqual(
      setParameter(node, new Parameter('objective', ParameterType.PARAMETER_STRING!, 'speed')),
      {
        successful: false,
        reason: "objective must be one of task, safety, efficiency, got 'speed'",
      },
    );
    assert.equal(parameters.current('objective'), 'task');
    // The rest are read at start: rclnodejs refuses them read-only.
    const rate = setParameter(node, new Parameter('rate_hz', ParameterType.PARAMETER_DOUBLE!, 20.5));
    assert.equal(rate.successful, false);
    assert.match(rate.reason, /readonly/);
    assert.equal(parameters.initial.rate_hz, 10);
  });
});
