// Checks a metadata.yaml with Debian's system Python (python3-yaml), independently of our own
// YAML code: exactly the fields Humble's rosbag2 reads for version 5 (rosbag2_storage
// yaml_serialization.hpp), QoS strings Humble can parse (integer enums within its ranges), and
// counts that add up.
import { spawnSync } from 'node:child_process';

const PYTHON = '/usr/bin/python3';

const CHECK = `
import os, sys, yaml
path = sys.argv[1]
errors = []
def need(cond, msg):
    if not cond: errors.append(msg)
def keys(d, expected, where):
    need(isinstance(d, dict), where + ' is not a map')
    if isinstance(d, dict):
        need(set(d) == set(expected), '%s keys %s, expected %s' % (where, sorted(d), sorted(expected)))
def typed(d, key, t, where):
    need(isinstance(d.get(key), t) and not (t is int and isinstance(d.get(key), bool)), '%s.%s is not %s' % (where, key, t.__name__))

doc = yaml.safe_load(open(path))
keys(doc, ['rosbag2_bagfile_information'], 'root')
info = doc['rosbag2_bagfile_information']
keys(info, ['version', 'storage_identifier', 'duration', 'starting_time', 'message_count', 'topics_with_message_count',
            'compression_format', 'compression_mode', 'relative_file_paths', 'files'], 'info')
need(info['version'] == 5, 'version %r, expected 5' % info['version'])
need(info['storage_identifier'] in ('mcap', 'sqlite3'), 'storage_identifier %r' % info['storage_identifier'])
keys(info['duration'], ['nanoseconds'], 'duration'); typed(info['duration'], 'nanoseconds', int, 'duration')
keys(info['starting_time'], ['nanoseconds_since_epoch'], 'starting_time')
typed(info['starting_time'], 'nanoseconds_since_epoch', int, 'starting_time')
typed(info, 'message_count', int, 'info')
typed(info, 'compression_format', str, 'info'); typed(info, 'compression_mode', str, 'info')
QOS = ['history', 'depth', 'reliability', 'durability', 'deadline', 'lifespan', 'liveliness',
       'liveliness_lease_duration', 'avoid_ros_namespace_conventions']
total = 0
for i, t in enumerate(info['topics_with_message_count']):
    w = 'topics_with_message_count[%d]' % i
    keys(t, ['topic_metadata', 'message_count'], w)
    typed(t, 'message_count', int, w)
    total += t['message_count']
    m = t['topic_metadata']
    keys(m, ['name', 'type', 'serialization_format', 'offered_qos_profiles'], w + '.topic_metadata')
    for k in ('name', 'type', 'serialization_format', 'offered_qos_profiles'): typed(m, k, str, w)
    need(m['type'].count('/msg/') == 1, '%s type %r is not pkg/msg/Type' % (w, m['type']))
    profiles = yaml.safe_load(m['offered_qos_profiles'])
    need(isinstance(profiles, list) and len(profiles) > 0, w + ' offered_qos_profiles is not a non-empty list')
    for p in profiles or []:
        keys(p, QOS, w + ' qos')
        for k, hi in (('history', 3), ('reliability', 3), ('durability', 3), ('liveliness', 3)):
            need(isinstance(p.get(k), int) and 0 <= p[k] <= hi, '%s qos %s=%r is not a Humble enum value' % (w, k, p.get(k)))
        for k in ('deadline', 'lifespan', 'liveliness_lease_duration'):
            keys(p.get(k), ['sec', 'nsec'], '%s qos %s' % (w, k))
        need(isinstance(p.get('avoid_ros_namespace_conventions'), bool), w + ' qos avoid_ros_namespace_conventions')
need(total == info['message_count'], 'topic counts add up to %d, message_count is %d' % (total, info['message_count']))
need(all(isinstance(p, str) for p in info['relative_file_paths']), 'relative_file_paths are not strings')
for p in info['relative_file_paths']:
    need(os.path.exists(os.path.join(os.path.dirname(path), p)), 'relative file %s is missing' % p)
file_total = 0
for i, f in enumerate(info['files']):
    w = 'files[%d]' % i
    keys(f, ['path', 'starting_time', 'duration', 'message_count'], w)
    need(f['path'] in info['relative_file_paths'], w + ' path not in relative_file_paths')
    file_total += f['message_count']
need(file_total == info['message_count'], 'file counts add up to %d' % file_total)
print('\\n'.join(errors))
sys.exit(1 if errors else 0)
`;

/** Problems found by the system Python's check of a metadata.yaml (empty: none). */
export function checkRosbag2MetadataWithPython(metadataPath: string): string[] {
  const r = spawnSync(PYTHON, ['-c', CHECK, metadataPath], { encoding: 'utf8' });
  if (r.status === 0) return [];
  if (r.status === 1 && r.stdout.trim()) return r.stdout.trim().split('\n');
  throw new Error(`${PYTHON} (python3-yaml) failed: ${r.stderr || r.error?.message || `exit ${r.status}`}`);
}
