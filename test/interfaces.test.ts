// The ROS 2 interfaces of package grape, checked by the real ROS IDL parser (Debian's
// python3-rosidl, run with the system python3) and package.xml against format 3.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';

const root = join(import.meta.dirname, '..');
const PYTHON = '/usr/bin/python3';

const PARSE = `
import json, sys
from rosidl_adapter.parser import parse_message_file, parse_service_file
out = {}
for path in sys.argv[1:]:
    parse = parse_service_file if path.endswith('.srv') else parse_message_file
    spec = parse('grape', path)
    if path.endswith('.srv'):
        half = lambda h: [[str(f.type), f.name, f.default_value] for f in h.fields]
        out[path] = {'request': half(spec.request), 'response': half(spec.response), 'constants': [c.name for c in spec.request.constants]}
    else:
        out[path] = {'fields': [[str(f.type), f.name] for f in spec.fields], 'constants': [c.name for c in spec.constants]}
print(json.dumps(out))
`;

it('msg/ and srv/ parse with rosidl_adapter', () => {
  const files = ['msg', 'srv'].flatMap((dir) => {
    try {
      return readdirSync(join(root, dir)).map((f) => join(root, dir, f));
    } catch {
      return [];
    }
  });
  assert.ok(files.length > 0);
  const r = spawnSync(PYTHON, ['-c', PARSE, ...files], { encoding: 'utf8' });
  assert.equal(r.status, 0, `rosidl_adapter (apt install python3-rosidl): ${r.stderr}`);
  const parsed = JSON.parse(r.stdout) as Record<
    string,
    { fields?: [string, string][]; constants?: string[] }
  >;
  const step = parsed[join(root, 'msg', 'PolicyStep.msg')]!;
  assert.deepEqual(step.constants, ['FLAG_DRY_RUN', 'FLAG_HOLD', 'FLAG_CLAMPED', 'FLAG_INTERVENTION']);
  assert.deepEqual(
    step.fields!.map(([, name]) => name),
    [
      'header',
      'step',
      'policy_id',
      'tokens',
      'action',
      'logp',
      'logp_dims',
      'temperature',
      'top_k',
      'flags',
      'features',
    ],
  );
  const event = parsed[join(root, 'msg', 'EpisodeEvent.msg')]!;
  assert.deepEqual(
    event.fields!.map(([type, name]) => `${type} ${name}`),
    ['std_msgs/Header header', 'string episode_id', 'string kind', 'string detail'],
  );
  assert.equal(event.constants!.length, 8);

  const fields = (name: string) =>
    parsed[join(root, 'msg', name)]!.fields!.map(([type, field]) => `${type} ${field}`);
  assert.deepEqual(fields('Action.msg'), [
    'std_msgs/Header header',
    'string[] names',
    'float64[] values',
    'bool hold',
    'string policy_id',
  ]);
  assert.deepEqual(fields('EpisodeStatus.msg'), [
    'std_msgs/Header header',
    'string state',
    'string episode_id',
    'string task_id',
    'string instruction',
    'string policy_id',
    'uint32 step',
    'bool dry_run',
    'string[] stale_inputs',
    'uint32 dropped_frames',
    'uint32 overruns',
    'string[] clamped',
    'bool intervening',
    'string message',
  ]);
  assert.deepEqual(parsed[join(root, 'msg', 'EpisodeStatus.msg')]!.constants, [
    'STATE_IDLE',
    'STATE_RUNNING',
    'STATE_HOLDING',
  ]);
  assert.deepEqual(fields('TrajectoryScore.msg'), [
    'std_msgs/Header header',
    'string episode_id',
    'string task_id',
    'float64 total',
    'string[] term_names',
    'float64[] term_values',
    'float64[] raw_term_values',
    'string[] stage_names',
    'float64[] stage_costs',
    'string success_source',
    'uint32 policy_steps',
    'string cost_spec_version',
    'string config',
  ]);
});

it('srv/ defines the policy node services', () => {
  const files = readdirSync(join(root, 'srv')).map((f) => join(root, 'srv', f));
  const r = spawnSync(PYTHON, ['-c', PARSE, ...files], { encoding: 'utf8' });
  assert.equal(r.status, 0, `rosidl_adapter (apt install python3-rosidl): ${r.stderr}`);
  type Field = [string, string, unknown];
  const parsed = JSON.parse(r.stdout) as Record<
    string,
    { request: Field[]; response: Field[]; constants: string[] }
  >;
  const srv = (name: string) => parsed[join(root, 'srv', name)]!;
  assert.deepEqual(
    Object.keys(parsed)
      .map((p) => p.slice(join(root, 'srv').length + 1))
      .sort(),
    ['EndEpisode.srv', 'EndSession.srv', 'ReloadPolicy.srv', 'StartEpisode.srv'],
  );
  assert.deepEqual(srv('StartEpisode.srv').request, [
    ['string', 'task_id', null],
    ['string', 'instruction', null],
    ['string', 'operator', null],
    ['int64', 'seed', -1],
  ]);
  assert.deepEqual(srv('EndEpisode.srv').request, [
    ['string', 'outcome', null],
    ['string', 'notes', null],
  ]);
  assert.deepEqual(srv('EndEpisode.srv').constants, [
    'OUTCOME_SUCCESS',
    'OUTCOME_FAILURE',
    'OUTCOME_ABORTED',
  ]);
  assert.deepEqual(srv('EndSession.srv').request, [
    ['string', 'notes', null],
    ['bool', 'train', true],
  ]);
  assert.deepEqual(srv('ReloadPolicy.srv').request, [['string', 'checkpoint_id', null]]);
  const names = (fields: Field[]) => fields.map(([, name]) => name);
  assert.deepEqual(names(srv('StartEpisode.srv').response), ['success', 'message', 'episode_id']);
  assert.deepEqual(names(srv('EndEpisode.srv').response), ['success', 'message', 'episode_id']);
  assert.deepEqual(names(srv('EndSession.srv').response), [
    'success',
    'message',
    'session_id',
    'episodes',
    'job_id',
  ]);
  assert.deepEqual(names(srv('ReloadPolicy.srv').response), ['success', 'message', 'policy_id']);
});

it('package.xml is format 3, valid as colcon and rosdep read it, and declares the interface package', () => {
  const CHECK = `
import json, sys
from catkin_pkg.package import parse_package
p = parse_package(sys.argv[1])
p.validate()
names = lambda deps: sorted({d.name for d in deps})
print(json.dumps({
    'name': p.name, 'format': p.package_format, 'build_type': p.get_build_type(),
    'groups': [g.name for g in p.member_of_groups],
    'buildtool': names(p.buildtool_depends), 'build': names(p.build_depends), 'exec': names(p.exec_depends),
}))
`;
  const r = spawnSync(PYTHON, ['-c', CHECK, join(root, 'package.xml')], { encoding: 'utf8' });
  assert.equal(r.status, 0, `catkin_pkg (apt install python3-catkin-pkg): ${r.stderr}`);
  const p = JSON.parse(r.stdout) as Record<string, unknown>;
  assert.deepEqual(
    [p.name, p.format, p.build_type, p.groups],
    ['grape', 3, 'ament_cmake', ['rosidl_interface_packages']],
  );
  assert.deepEqual(p.buildtool, ['ament_cmake', 'rosidl_default_generators']);
  const messages = ['diagnostic_msgs', 'geometry_msgs', 'sensor_msgs', 'std_msgs', 'std_srvs'];
  assert.deepEqual(p.build, [...messages, 'nodejs', 'npm'].sort());
  assert.deepEqual(
    p.exec,
    [...messages, 'launch', 'launch_ros', 'nodejs', 'rosbag2_storage_mcap', 'rosidl_default_runtime'].sort(),
  );
});
