// metadata.yaml and QoS profiles: every fixture version parses; what we write (v5) parses back
// and matches rosbag2's own layout; QoS in all the forms rosbag2 has used.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { parse as parseYaml } from 'yaml';

import { parseBagMetadata, serializeBagMetadata } from '../src/bag/bag-metadata.js';
import { knownType, parseSchema } from '../src/bag/message-definitions.js';
import {
  INFINITE_DURATION,
  parseQosProfiles,
  RELIABLE_QOS,
  SENSOR_DATA_QOS,
  serializeQosProfiles,
} from '../src/bag/qos-profile.js';

const FIXTURES = join(import.meta.dirname, '..', '..', 'shared', 'fixtures', 'rosbags');

describe('metadata.yaml', () => {
  it('every fixture parses (versions 4–8), nanosecond times exactly', () => {
    const versions = new Set<number>();
    for (const name of readdirSync(FIXTURES).filter((d) => !d.includes('.') && d !== 'LICENSES')) {
      const path = join(FIXTURES, name, 'metadata.yaml');
      const m = parseBagMetadata(readFileSync(path, 'utf8'), path);
      versions.add(m.version);
      assert.ok(m.relativeFilePaths.length > 0, name);
      assert.equal(
        m.topics.reduce((s, t) => s + t.messageCount, 0),
        m.messageCount,
        `${name}: topic counts add up`,
      );
    }
    assert.deepEqual([...versions].sort(), [4, 5, 6, 7, 8]);
    const talker = join(FIXTURES, 'rosbag2-talker-mcap', 'metadata.yaml');
    const m = parseBagMetadata(readFileSync(talker, 'utf8'), talker);
    assert.equal(m.startTime, 1585866235112411371n, 'beyond 2^53: parsed as bigint, not rounded');
    assert.equal(m.duration, 4531096768n);
  });

  it('what we write is the v5 layout: the fields and order of a Humble bag, QoS as an integer-enum string', () => {
    const text = serializeBagMetadata({
      storageIdentifier: 'mcap',
      relativeFilePaths: ['ep_0.mcap'],
      startTime: 1764000000123456789n,
      duration: 2000000001n,
      messageCount: 3,
      topics: [
        {
          name: '/camera',
          type: 'sensor_msgs/msg/Image',
          serializationFormat: 'cdr',
          qos: [SENSOR_DATA_QOS],
          messageCount: 3,
        },
      ],
      compressionFormat: '',
      compressionMode: '',
      files: [{ path: 'ep_0.mcap', startTime: 1764000000123456789n, duration: 2000000001n, messageCount: 3 }],
    });
    const humble = readFileSync(join(FIXTURES, 'ait-images-sqlite3', 'metadata.yaml'), 'utf8');
    const keys = (doc: string) =>
      Object.keys((parseYaml(doc) as { rosbag2_bagfile_information: object }).rosbag2_bagfile_information);
    assert.deepEqual(keys(text), keys(humble));
    assert.match(text, /nanoseconds_since_epoch: 1764000000123456789\n/);
    const back = parseBagMetadata(text, 'written');
    assert.equal(back.version, 5);
    assert.equal(back.startTime, 1764000000123456789n);
    assert.deepEqual(back.topics[0]!.qos, [SENSOR_DATA_QOS]);
    const qosText = (
      parseYaml(text) as {
        rosbag2_bagfile_information: {
          topics_with_message_count: { topic_metadata: { offered_qos_profiles: unknown } }[];
        };
      }
    ).rosbag2_bagfile_information.topics_with_message_count[0]!.topic_metadata.offered_qos_profiles;
    assert.equal(typeof qosText, 'string');
    assert.deepEqual(parseYaml(qosText as string), [
      {
        history: 1,
        depth: 5,
        reliability: 2,
        durability: 2,
        deadline: { sec: 9223372036, nsec: 854775807 },
        lifespan: { sec: 9223372036, nsec: 854775807 },
        liveliness: 1,
        liveliness_lease_duration: { sec: 9223372036, nsec: 854775807 },
        avoid_ros_namespace_conventions: false,
      },
    ]);
  });
});

describe('QoS profiles', () => {
  it('integer enums (v4–8), enum names (v9), lists or strings, empty', () => {
    const ints = parseQosProfiles(
      '- history: 3\n  depth: 0\n  reliability: 1\n  durability: 2\n  liveliness: 1\n',
    );
    assert.equal(ints[0]!.history, 'unknown');
    assert.equal(ints[0]!.durability, 'volatile');
    assert.deepEqual(ints[0]!.deadline, INFINITE_DURATION, 'missing durations are infinite');
    const names = parseQosProfiles([
      {
        history: 'keep_all',
        depth: 0,
        reliability: 'BEST_EFFORT',
        durability: 'volatile',
        liveliness: 'automatic',
      },
    ]);
    assert.equal(names[0]!.history, 'keep_all');
    assert.equal(names[0]!.reliability, 'best_effort');
    assert.deepEqual(parseQosProfiles(''), []);
    assert.deepEqual(parseQosProfiles(undefined), []);
    assert.deepEqual(parseQosProfiles(serializeQosProfiles([RELIABLE_QOS, SENSOR_DATA_QOS])), [
      RELIABLE_QOS,
      SENSOR_DATA_QOS,
    ]);
  });

  it('bad values name the field', () => {
    assert.throws(() => parseQosProfiles('- reliability: 9'), /QoS reliability 9 is not one of/);
    assert.throws(() => parseQosProfiles('- durability: sometimes'), /QoS durability "sometimes"/);
    assert.throws(() => parseQosProfiles('history: 1'), /not a list/);
    assert.throws(() => parseQosProfiles('- deadline: 5'), /QoS deadline must be \{sec, nsec\}/);
  });
});

describe('message definitions we write', () => {
  it('common types are written as valid ros2msg with every dependency, and parse back to the same definition', () => {
    for (const type of [
      'sensor_msgs/msg/Image',
      'sensor_msgs/msg/JointState',
      'geometry_msgs/msg/TwistStamped',
      'std_msgs/msg/Float64MultiArray',
      'sensor_msgs/msg/NavSatFix',
    ]) {
      const known = knownType(type);
      assert.doesNotMatch(known.schema, /^time |\ntime /, `${type}: ROS 2 has no 'time' builtin`);
      assert.deepEqual(parseSchema(type, known.schema), known.definitions);
    }
    const image = knownType('sensor_msgs/Image').schema;
    assert.equal(
      image,
      [
        'std_msgs/Header header',
        'uint32 height',
        'uint32 width',
        'string encoding',
        'uint8 is_bigendian',
        'uint32 step',
        'uint8[] data',
        '================================================================================',
        'MSG: std_msgs/Header',
        'builtin_interfaces/Time stamp',
        'string frame_id',
        '================================================================================',
        'MSG: builtin_interfaces/Time',
        'int32 sec',
        'uint32 nanosec',
      ].join('\n'),
    );
    assert.match(knownType('sensor_msgs/msg/NavSatFix').schema, /int8 STATUS_NO_FIX=-1/);
  });

  it("grape's own types keep their .msg text (comments included) and resolve dependencies", () => {
    const step = knownType('grape/msg/PolicyStep');
    assert.equal(step.name, 'grape/msg/PolicyStep');
    assert.ok(
      step.schema.startsWith(
        readFileSync(join(import.meta.dirname, '..', 'msg', 'PolicyStep.msg'), 'utf8').trimEnd(),
      ),
    );
    assert.deepEqual(
      step.definitions.map((d) => d.name),
      ['grape/PolicyStep', 'std_msgs/Header', 'builtin_interfaces/Time'],
    );
    assert.throws(() => knownType('grape/msg/Nope'), /unknown message type grape\/msg\/Nope/);
  });
});
