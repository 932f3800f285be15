// launch/policy.launch.py, run by the system python3 against stand-ins for the ROS 2 launch packages
// (launch, launch_ros: not installable here) that record what it declares and starts. Its arguments
// and the node's parameters are the same set with the same defaults and types.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';

import { PARAMETER_NAMES, POLICY_NODE_PARAMETERS, type ParameterKind } from '../src/ros/parameter-spec.js';
import { scratchDir } from './helpers/policy-fixtures.js';

const LAUNCH_FILE = join(import.meta.dirname, '..', 'launch', 'policy.launch.py');
const PYTHON = '/usr/bin/python3';

// Just enough of launch and launch_ros for a launch file to be evaluated: entities record their
// arguments; LaunchConfiguration reads the context's values.
const STANDINS: Record<string, string> = {
  'launch/__init__.py': `
class LaunchDescription:
    def __init__(self, entities):
        self.entities = entities
`,
  'launch/actions.py': `
class DeclareLaunchArgument:
    def __init__(self, name, default_value=None, description=''):
        self.name, self.default_value, self.description = name, default_value, description

class OpaqueFunction:
    def __init__(self, function):
        self.function = function
`,
  'launch/substitutions.py': `
class LaunchConfiguration:
    def __init__(self, name):
        self.name = name
    def perform(self, context):
        return context.launch_configurations[self.name]
`,
  'launch_ros/__init__.py': '',
  'launch_ros/actions.py': `
class Node:
    def __init__(self, **kwargs):
        self.kwargs = kwargs
`,
};

// Evaluates the launch file with the given argument values (on top of the declared defaults) and
// prints what it declared and the Node it starts, or the error it raised.
const EVALUATE = `
import importlib.util, json, sys
from launch.actions import DeclareLaunchArgument, OpaqueFunction
spec = importlib.util.spec_from_file_location('policy_launch', sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
description = module.generate_launch_description()
declared = [e for e in description.entities if isinstance(e, DeclareLaunchArgument)]
class Context:
    launch_configurations = {a.name: a.default_value for a in declared}
Context.launch_configurations.update(json.loads(sys.argv[2]))
out = {
    'declared': [[a.name, a.default_value, a.description] for a in declared],
    'types': {name: kind.__name__ for name, _, kind, _ in module.PARAMETERS},
}
try:
    nodes = [n for e in description.entities if isinstance(e, OpaqueFunction) for n in e.function(Context)]
    out['nodes'] = [n.kwargs for n in nodes]
except ValueError as error:
    out['error'] = str(error)
print(json.dumps(out))
`;

interface Evaluation {
  declared: [string, string, string][];
  types: Record<string, string>;
  nodes?: Record<string, unknown>[];
  error?: string;
}

let standins: string;
before(() => {
  standins = scratchDir('grape-launch-');
  for (const [file, text] of Object.entries(STANDINS)) {
    mkdirSync(join(standins, file, '..'), { recursive: true });
    writeFileSync(join(standins, file), text);
  }
});

function evaluate(args: Record<string, string> = {}): Evaluation {
  const r = spawnSync(PYTHON, ['-c', EVALUATE, LAUNCH_FILE, JSON.stringify(args)], {
    encoding: 'utf8',
    cwd: standins,
    env: { ...process.env, PYTHONPATH: standins },
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Evaluation;
}

const PYTHON_TYPES: Record<ParameterKind, string> = {
  string: 'str',
  bool: 'bool',
  double: 'float',
  integer: 'int',
  double_array: 'list',
};

const LAUNCH_ONLY = ['params_file', 'namespace', 'remappings', 'log_level'];

describe('launch/policy.launch.py', () => {
  it("declares an argument for every node parameter, with the node's default and type", () => {
    const { declared, types, nodes } = evaluate();
    const parameterArgs = declared.filter(([name]) => !LAUNCH_ONLY.includes(name));
    assert.deepEqual(parameterArgs.map(([name]) => name).sort(), [...PARAMETER_NAMES].sort());
    assert.deepEqual(
      declared.map(([name]) => name).filter((n) => LAUNCH_ONLY.includes(n)),
      LAUNCH_ONLY,
    );
    for (const [name, , description] of declared)
      assert.ok(description.length > 0, `${name} has a description`);
    for (const name of PARAMETER_NAMES) {
      assert.equal(types[name], PYTHON_TYPES[POLICY_NODE_PARAMETERS[name].kind], `type of ${name}`);
    }
    // The defaults, as the node receives them: equal to the node's own (empty lists are left out,
    // which leaves the node's default of none).
    const [node] = nodes!;
    const [parameters] = node!.parameters as [Record<string, unknown>];
    for (const name of PARAMETER_NAMES) {
      const expected = POLICY_NODE_PARAMETERS[name].default;
      // (The only list defaults are empty.)
      if (Array.isArray(expected)) assert.ok(!(name in parameters), name);
      else assert.deepEqual(parameters[name], expected, `default of ${name}`);
    }
    assert.equal(typeof parameters.rate_hz, 'number');
  });

  it('starts policy_node of package grape as grape_policy', () => {
    const [node] = evaluate().nodes!;
    assert.deepEqual(
      [node!.package, node!.executable, node!.name, node!.namespace, node!.remappings, node!.arguments],
      ['grape', 'policy_node', 'grape_policy', '', [], ['--ros-args', '--log-level', 'info']],
    );
  });

  it('passes arguments as typed parameters, then the params file, remappings and namespace', () => {
    const [node] = evaluate({
      rate_hz: '20',
      dry_run: 'False',
      max_steps: '400',
      workspace_min: '[0.2, -0.4, 0.0]',
      workspace_max: '0.8, 0.4, 0.55',
      params_file: '/etc/grape/lab.yaml',
      remappings: '/camera/image_raw:=/wrist/image_raw,/diagnostics:=/grape/diagnostics',
      namespace: 'arm',
    }).nodes!;
    const [parameters, file] = node!.parameters as [Record<string, unknown>, string];
    assert.deepEqual(
      [
        parameters.rate_hz,
        parameters.dry_run,
        parameters.max_steps,
        parameters.workspace_min,
        parameters.workspace_max,
      ],
      [20, false, 400, [0.2, -0.4, 0], [0.8, 0.4, 0.55]],
    );
    assert.equal(file, '/etc/grape/lab.yaml');
    assert.deepEqual(node!.remappings, [
      ['/camera/image_raw', '/wrist/image_raw'],
      ['/diagnostics', '/grape/diagnostics'],
    ]);
    assert.equal(node!.namespace, 'arm');
  });

  it('says which argument is wrong', () => {
    assert.equal(
      evaluate({ dry_run: 'maybe' }).error,
      "launch argument dry_run:='maybe' is not a bool: not true or false",
    );
    assert.match(
      evaluate({ rate_hz: 'fast' }).error ?? '',
      /^launch argument rate_hz:='fast' is not a float: /,
    );
    assert.equal(evaluate({ remappings: '/a=/b' }).error, "remapping '/a=/b' is not of the form from:=to");
  });
});
