// The ROS 2 interfaces of package grape, checked by the real ROS IDL parser (Debian's
// python3-rosidl, run with the system python3) and package.xml against format 3.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
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
        out[path] = {'request': [f.name for f in spec.request.fields], 'response': [f.name for f in spec.response.fields]}
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
});

it('package.xml is format 3 and declares the interface package', () => {
  const xml = readFileSync(join(root, 'package.xml'), 'utf8');
  assert.match(xml, /<package format="3">/);
  assert.match(xml, /<name>grape<\/name>/);
  assert.match(xml, /<member_of_group>rosidl_interface_packages<\/member_of_group>/);
  assert.match(xml, /<build_type>ament_cmake<\/build_type>/);
});
