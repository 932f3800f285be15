// The rosbag2 reader against every fixture bag in ../shared/fixtures/rosbags (counts from its
// README), plus the layouts and failures the fixtures do not cover: metadata v9, a live WAL
// file, bare files, unknown storage, rosbag2 compression, cut-short and corrupt files.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import Database from 'better-sqlite3';

import { BagFormatError } from '../src/bag/bag-errors.js';
import { BagReader } from '../src/bag/bag-reader.js';

const FIXTURES = join(import.meta.dirname, '..', '..', 'shared', 'fixtures', 'rosbags');
const scratch = mkdtempSync(join(tmpdir(), 'grape-bag-reader-'));
after(() => {
  rmSync(scratch, { recursive: true, force: true });
});

const TALKER = { '/parameter_events': 0, '/rosout': 10, '/topic': 10 };
const CDR_TEST = { '/array_topic': 4, '/test_topic': 3 };
const SERVICES = {
  '/events/write_split': 0,
  '/test_service1/_service_event': 4,
  '/test_service2/_service_event': 4,
  '/test_topic1': 1,
  '/test_topic2': 1,
};
const SPLIT = { AAA: 804, BBB: 742, CCC: 742, DDD: 753, EEE: 804, FFF: 772, GGG: 731, HHH: 726 };

// Per-topic counts as ../shared/fixtures/rosbags/README.md states them.
const READABLE: Record<
  string,
  { counts: Record<string, number>; storage: string; version: number; files: number }
> = {
  'rosbag2-talker-mcap': { counts: TALKER, storage: 'mcap', version: 4, files: 1 },
  'rosbag2-talker-sqlite3': { counts: TALKER, storage: 'sqlite3', version: 4, files: 1 },
  'rosbag2-cdr-test-mcap': { counts: CDR_TEST, storage: 'mcap', version: 7, files: 1 },
  'rosbag2-cdr-test-sqlite3': { counts: CDR_TEST, storage: 'sqlite3', version: 7, files: 1 },
  'rosbag2-services-mcap': { counts: SERVICES, storage: 'mcap', version: 8, files: 1 },
  'rosbag2-services-sqlite3': { counts: SERVICES, storage: 'sqlite3', version: 8, files: 1 },
  'rosbag2-split-mcap': { counts: SPLIT, storage: 'mcap', version: 4, files: 5 },
  'rosbag2-split-sqlite3': { counts: SPLIT, storage: 'sqlite3', version: 4, files: 5 },
  'rosbag2-rewriter-b-mcap': {
    counts: { a_empty: 25, c_strings: 50 },
    storage: 'mcap',
    version: 6,
    files: 1,
  },
  'rosbags-rs-mcap': { counts: {}, storage: 'mcap', version: 5, files: 1 },
  'rosbags-rs-sqlite3': { counts: {}, storage: 'sqlite3', version: 5, files: 1 },
  'ait-images-sqlite3': { counts: { '/image': 3 }, storage: 'sqlite3', version: 5, files: 1 },
};

async function decodedCounts(bag: BagReader): Promise<Record<string, number>> {
  const counts: Record<string, number> = Object.fromEntries(bag.info.topics.map((t) => [t.name, 0]));
  for await (const m of bag.decoded()) counts[m.topic]!++;
  return counts;
}

async function withBag<T>(path: string, use: (bag: BagReader) => T | Promise<T>): Promise<T> {
  const bag = await BagReader.open(path);
  try {
    return await use(bag);
  } finally {
    await bag.close();
  }
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('rosbag2 reader: fixture bags', () => {
  for (const [name, expected] of Object.entries(READABLE)) {
    it(`${name}: every message decodes, counts as the README states`, async () => {
      await withBag(join(FIXTURES, name), async (bag) => {
        assert.equal(bag.info.storage, expected.storage);
        assert.equal(bag.info.metadataVersion, expected.version);
        assert.equal(bag.info.files.length, expected.files);
        const counts = await decodedCounts(bag);
        if (name.startsWith('rosbags-rs')) {
          assert.equal(Object.keys(counts).length, 94);
          assert.ok(
            Object.values(counts).every((n) => n === 2),
            JSON.stringify(counts),
          );
        } else {
          assert.deepEqual(counts, expected.counts);
        }
        assert.deepEqual(
          Object.fromEntries(bag.info.topics.map((t) => [t.name, t.messageCount])),
          counts,
          'info counts match what reads back',
        );
        assert.equal(
          bag.info.messageCount,
          Object.values(counts).reduce((a, b) => a + b, 0),
        );
        for (const f of bag.info.files) assert.equal(f.damage, undefined);
      });
    });
  }

  it('the two wrong-format bags list their topics but refuse to decode, naming the format', async () => {
    for (const name of ['rosbag2-wrong-format-mcap', 'rosbag2-wrong-format-sqlite3']) {
      await withBag(join(FIXTURES, name), async (bag) => {
        assert.deepEqual(Object.fromEntries(bag.info.topics.map((t) => [t.name, t.serializationFormat])), {
          '/array_topic': 'wrong_format',
          '/test_topic': 'wrong_format',
        });
        await assert.rejects(
          collect(bag.decoded()),
          (e: Error) =>
            e instanceof BagFormatError &&
            /serialization format 'wrong_format'; grape decodes only cdr/.test(e.message),
        );
      });
    }
  });

  it('talker: the same messages from MCAP and sqlite3, in time order', async () => {
    const read = (name: string) =>
      withBag(join(FIXTURES, name), async (bag) =>
        (await collect(bag.decoded<{ data: string }>({ topics: ['/topic'] }))).map((m) => [
          m.logTime,
          m.message.data,
        ]),
      );
    const mcap = await read('rosbag2-talker-mcap');
    assert.deepEqual(mcap, await read('rosbag2-talker-sqlite3'));
    assert.equal(mcap.length, 10);
    assert.deepEqual(
      mcap.map(([, data]) => data),
      Array.from({ length: 10 }, (_, i) => `Hello, world! ${i}`),
    );
    for (let i = 1; i < mcap.length; i++) assert.ok((mcap[i]![0] as bigint) >= (mcap[i - 1]![0] as bigint));
  });

  it('cdr_test: primitives, fixed arrays and nested types decode with the embedded definitions', async () => {
    for (const name of ['rosbag2-cdr-test-mcap', 'rosbag2-cdr-test-sqlite3']) {
      await withBag(join(FIXTURES, name), async (bag) => {
        const basic = await collect(bag.decoded<Record<string, unknown>>({ topics: ['/test_topic'] }));
        assert.equal(basic.length, 3);
        assert.equal(basic[0]!.message.int32_value, 123);
        assert.deepEqual(Object.keys(basic[0]!.message).sort(), [
          'bool_value',
          'byte_value',
          'char_value',
          'float32_value',
          'float64_value',
          'int16_value',
          'int32_value',
          'int64_value',
          'int8_value',
          'uint16_value',
          'uint32_value',
          'uint64_value',
          'uint8_value',
        ]);
        const arrays = await collect(
          bag.decoded<Record<string, ArrayLike<unknown>>>({ topics: ['/array_topic'] }),
        );
        const first = arrays[0]!.message;
        assert.deepEqual(first.bool_values, [true, false, true]);
        assert.deepEqual(first.string_values, ['Complex Hello1', 'Complex Hello2', 'Complex Hello3']);
        assert.equal(first.basic_types_values!.length, 3);
        assert.equal((first.defaults_values as { int64_value: bigint }[])[0]!.int64_value, -40000000n);
        assert.deepEqual(
          Array.from(first.int32_values_default as ArrayLike<number>),
          [0, 2147483647, -2147483648],
        );
        assert.deepEqual(Array.from(first.uint64_values_default as ArrayLike<bigint>), [
          0n,
          1n,
          18446744073709551615n,
        ]);
      });
    }
  });

  it('service events decode, even where the bag stored the .srv text as the definition', async () => {
    interface Event {
      info: { event_type: number; stamp: { sec: number }; sequence_number: bigint };
      request: { string_value: string }[];
      response: unknown[];
    }
    for (const name of ['rosbag2-services-mcap', 'rosbag2-services-sqlite3']) {
      await withBag(join(FIXTURES, name), async (bag) => {
        const events = await collect(bag.decoded<Event>({ topics: ['/test_service1/_service_event'] }));
        assert.equal(events.length, 4);
        // The client's side of two calls: REQUEST_SENT (0) and RESPONSE_RECEIVED (3) each.
        assert.deepEqual(events.map((e) => e.message.info.event_type).sort(), [0, 0, 3, 3]);
        for (const e of events) {
          assert.equal(e.message.info.stamp.sec, 1699345836);
          assert.equal(e.message.request.length, e.message.info.event_type === 0 ? 1 : 0);
          assert.equal(e.message.response.length, e.message.info.event_type === 3 ? 1 : 0);
        }
      });
    }
  });

  it('bags without definitions decode with the bundled common ones (old sqlite layout)', async () => {
    await withBag(join(FIXTURES, 'ait-images-sqlite3'), async (bag) => {
      const images = await collect(
        bag.decoded<{ width: number; height: number; encoding: string; data: Uint8Array }>(),
      );
      assert.deepEqual(
        images.map((i) => [
          i.logTime,
          i.message.width,
          i.message.height,
          i.message.encoding,
          i.message.data.length,
        ]),
        [
          [0n, 2, 2, 'mono8', 4],
          [1_000_000_000n, 2, 2, 'mono8', 4],
          [2_000_000_000n, 2, 2, 'mono8', 4],
        ],
      );
    });
    await withBag(join(FIXTURES, 'rosbag2-rewriter-b-mcap'), async (bag) => {
      const empty = await collect(bag.decoded({ topics: ['a_empty'] }));
      assert.deepEqual(empty[0]!.message, {});
    });
  });

  it('split bags: time range from the files, not the stale metadata.yaml fields', async () => {
    for (const name of ['rosbag2-split-mcap', 'rosbag2-split-sqlite3']) {
      await withBag(join(FIXTURES, name), (bag) => {
        assert.equal(bag.info.startTime, 1000n);
        assert.equal(bag.info.endTime, 2998n);
        assert.equal(bag.info.duration, 1998n);
      });
    }
  });

  it('images, compressed images and joint states of the rosbags-rs bags decode in both storages', async () => {
    for (const name of ['rosbags-rs-mcap', 'rosbags-rs-sqlite3']) {
      await withBag(join(FIXTURES, name), async (bag) => {
        const topics = [
          '/test/sensor_msgs/image',
          '/test/sensor_msgs/compressed_image',
          '/test/sensor_msgs/joint_state',
        ];
        const msgs = await collect(bag.decoded<Record<string, unknown>>({ topics }));
        const by = (t: string) => msgs.filter((m) => m.topic === t).map((m) => m.message);
        assert.equal(by(topics[0]!)[0]!.width, 640);
        assert.equal((by(topics[1]!)[0]!.data as Uint8Array)[0], 0xff);
        assert.equal((by(topics[2]!)[0]!.name as string[]).length, 3);
      });
    }
  });

  it('bare .mcap and .db3 files open without their metadata.yaml', async () => {
    await withBag(join(FIXTURES, 'rosbag2-talker-mcap', 'talker.mcap'), (bag) => {
      assert.equal(bag.info.metadataVersion, undefined);
      assert.deepEqual(Object.fromEntries(bag.info.topics.map((t) => [t.name, t.messageCount])), TALKER);
    });
    await withBag(join(FIXTURES, 'rosbag2-split-sqlite3', 'wbag_2.db3'), async (bag) => {
      assert.equal(bag.info.storage, 'sqlite3');
      const decoded = Object.values(await decodedCounts(bag)).reduce((x, y) => x + y, 0);
      assert.equal(bag.info.messageCount, decoded);
      assert.ok(decoded > 1000);
    });
  });
});

describe('rosbag2 reader: sqlite3 files are never written to', () => {
  it('a WAL-mode db3 reads without -wal/-shm files appearing beside it', async () => {
    const dir = join(scratch, 'talker-wal');
    cpSync(join(FIXTURES, 'rosbag2-talker-sqlite3'), dir, { recursive: true });
    const before = readdirSync(dir).sort();
    await withBag(dir, async (bag) => {
      assert.equal((await decodedCounts(bag))['/topic'], 10);
    });
    assert.deepEqual(readdirSync(dir).sort(), before);
    assert.deepEqual(readdirSync(join(FIXTURES, 'rosbag2-talker-sqlite3')).sort(), [
      'metadata.yaml',
      'talker.db3',
    ]);
  });

  it('still reads without writing beside the file when SQLite was opened before the reader loaded', () => {
    const dir = join(scratch, 'talker-late');
    cpSync(join(FIXTURES, 'rosbag2-talker-sqlite3'), dir, { recursive: true });
    const child = join(import.meta.dirname, 'helpers', 'sqlite-first-child.ts');
    const r = spawnSync(process.execPath, ['--import', 'tsx', child, dir], {
      encoding: 'utf8',
      env: { ...process.env, SQLITE_USE_URI: '' },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), '20');
    assert.deepEqual(readdirSync(dir).sort(), ['metadata.yaml', 'talker.db3']);
  });

  it('a db3 with a live -wal file beside it reads the rows still in the WAL, without touching either file', async () => {
    const dir = join(scratch, 'live-wal');
    cpSync(join(FIXTURES, 'ait-images-sqlite3'), dir, { recursive: true });
    const db3 = join(dir, 'images.bag_0.db3');
    const writer = new Database(db3);
    writer.pragma('journal_mode = WAL');
    writer.pragma('wal_autocheckpoint = 0');
    const row = writer.prepare<[], { data: Buffer }>('SELECT data FROM messages LIMIT 1').get()!;
    writer
      .prepare('INSERT INTO messages (topic_id, timestamp, data) VALUES (1, 3000000000, ?)')
      .run(row.data);
    // Copy the pair while the writer still holds the WAL (as after a crash), then close it.
    const live = join(scratch, 'live-wal-copy');
    cpSync(dir, live, { recursive: true });
    rmSync(join(live, 'images.bag_0.db3-shm'), { force: true });
    writer.close();
    const before = Object.fromEntries(readdirSync(live).map((f) => [f, readFileSync(join(live, f))]));
    assert.ok(before['images.bag_0.db3-wal']!.length > 0);
    await withBag(live, async (bag) => {
      assert.equal(bag.info.messageCount, 4);
      assert.equal(bag.info.endTime, 3_000_000_000n);
      assert.equal((await decodedCounts(bag))['/image'], 4);
    });
    assert.deepEqual(
      Object.fromEntries(readdirSync(live).map((f) => [f, readFileSync(join(live, f))])),
      before,
    );
  });
});

describe('rosbag2 reader: layouts and failures', () => {
  function bagWithMetadata(name: string, from: string, yaml: string): string {
    const dir = join(scratch, name);
    cpSync(join(FIXTURES, from), dir, { recursive: true });
    writeFileSync(join(dir, 'metadata.yaml'), yaml);
    return dir;
  }
  const cdrTestYaml = () => readFileSync(join(FIXTURES, 'rosbag2-cdr-test-mcap', 'metadata.yaml'), 'utf8');

  it('metadata.yaml v9: QoS as a YAML list with enum names', async () => {
    const v9 = cdrTestYaml()
      .replace('version: 7', 'version: 9')
      .replace(
        /offered_qos_profiles: ".*"/g,
        `offered_qos_profiles:
          - history: keep_last
            depth: 4
            reliability: best_effort
            durability: transient_local
            deadline: {sec: 9223372036, nsec: 854775807}
            lifespan: {sec: 9223372036, nsec: 854775807}
            liveliness: automatic
            liveliness_lease_duration: {sec: 9223372036, nsec: 854775807}
            avoid_ros_namespace_conventions: false`,
      )
      .replace('custom_data: ~', 'custom_data: ~\n  ros_distro: jazzy');
    await withBag(bagWithMetadata('v9', 'rosbag2-cdr-test-mcap', v9), async (bag) => {
      assert.equal(bag.info.metadataVersion, 9);
      assert.equal(bag.info.rosDistro, 'jazzy');
      const qos = bag.topic('/array_topic').qos;
      assert.equal(qos.length, 1);
      assert.equal(qos[0]!.history, 'keep_last');
      assert.equal(qos[0]!.reliability, 'best_effort');
      assert.equal(qos[0]!.durability, 'transient_local');
      assert.equal((await decodedCounts(bag))['/array_topic'], 4);
    });
  });

  it('v4–8 integer QoS strings parse into named policies', async () => {
    await withBag(join(FIXTURES, 'rosbag2-talker-sqlite3'), (bag) => {
      const [rosout] = bag.topic('/rosout').qos;
      assert.equal(rosout!.durability, 'transient_local');
      assert.equal(rosout!.reliability, 'reliable');
      assert.deepEqual(rosout!.lifespan, { sec: 10, nsec: 0 });
    });
  });

  it('unknown storage, rosbag2 compression, a missing file, an unknown serialization: clear errors', async () => {
    const cases: [string, string, RegExp][] = [
      [
        'storage',
        cdrTestYaml().replace('storage_identifier: mcap', 'storage_identifier: rosbag_v2'),
        /storage 'rosbag_v2' is not supported/,
      ],
      [
        'compressed',
        cdrTestYaml()
          .replace('compression_format: ""', 'compression_format: zstd')
          .replace('compression_mode: ""', 'compression_mode: FILE'),
        /rosbag2 FILE compression \(zstd\) is not supported/,
      ],
      [
        'missing',
        cdrTestYaml().replaceAll('cdr_test_0.mcap', 'cdr_test_1.mcap'),
        /lists cdr_test_1\.mcap, which is missing/,
      ],
      ['not-yaml', 'rosbag2_bagfile_information: [', /metadata\.yaml is not valid YAML/],
      ['no-version', 'rosbag2_bagfile_information:\n  storage_identifier: mcap\n', /missing version/],
    ];
    for (const [name, yaml, message] of cases) {
      await assert.rejects(
        BagReader.open(bagWithMetadata(name, 'rosbag2-cdr-test-mcap', yaml)),
        (e: Error) => {
          assert.ok(e instanceof BagFormatError, e.message);
          assert.match(e.message, message);
          return true;
        },
      );
    }
  });

  it('a type with no definition anywhere is a clear error when decoded, not when listed', async () => {
    // The old sqlite layout carries no definitions, and test_msgs is not a common package.
    const dir = join(scratch, 'no-definition');
    cpSync(join(FIXTURES, 'rosbag2-wrong-format-sqlite3'), dir, { recursive: true });
    const yaml = readFileSync(join(dir, 'metadata.yaml'), 'utf8').replaceAll('wrong_format', 'cdr');
    writeFileSync(join(dir, 'metadata.yaml'), yaml);
    await withBag(dir, async (bag) => {
      assert.equal(bag.info.messageCount, 7);
      await assert.rejects(
        collect(bag.decoded()),
        /no definition for test_msgs\/msg\/(BasicTypes|Arrays).*not a common ROS 2 type/,
      );
    });
  });

  it('an MCAP cut short reads up to its last complete record and says so', async () => {
    const dir = join(scratch, 'cut');
    cpSync(join(FIXTURES, 'rosbag2-rewriter-b-mcap'), dir, { recursive: true });
    const file = join(dir, 'rewriter_b_0.mcap');
    // The single chunk ends where the summary begins; cut inside the summary, then inside the chunk.
    truncateSync(file, readFileSync(file).length - 200);
    await withBag(dir, async (bag) => {
      assert.equal(bag.info.messageCount, 75);
      assert.match(bag.info.files[0]!.damage ?? '', /no summary|cut short/);
      assert.equal((await decodedCounts(bag)).c_strings, 50);
    });
    truncateSync(file, 2000);
    await withBag(dir, (bag) => {
      assert.equal(bag.info.messageCount, 0);
      assert.match(bag.info.files[0]!.damage ?? '', /cut short/);
    });
  });

  it('files that are not bags: clear errors naming the file', async () => {
    const junk = join(scratch, 'junk.mcap');
    writeFileSync(junk, 'not an mcap file at all');
    await assert.rejects(BagReader.open(junk), /junk\.mcap: not an MCAP file/);
    const db = join(scratch, 'junk.db3');
    writeFileSync(db, Buffer.alloc(4096, 7));
    await assert.rejects(
      BagReader.open(db),
      (e: Error) => e instanceof BagFormatError && /junk\.db3/.test(e.message),
    );
    const other = join(scratch, 'notes.txt');
    writeFileSync(other, 'hello');
    await assert.rejects(BagReader.open(other), /neither an MCAP nor an SQLite/);
    const plainDb = join(scratch, 'plain.db3');
    new Database(plainDb).exec('CREATE TABLE t (x)');
    await assert.rejects(BagReader.open(plainDb), /no topics table \(not a rosbag2 sqlite3 file\)/);
    const empty = mkdtempSync(join(scratch, 'empty-'));
    await assert.rejects(BagReader.open(empty), /no metadata\.yaml and no \.mcap or \.db3 file/);
    await assert.rejects(BagReader.open(join(scratch, 'nope')), /no such bag/);
    copyFileSync(join(FIXTURES, 'rosbag2-talker-mcap', 'talker.mcap'), join(empty, 'talker.mcap'));
    await withBag(empty, (bag) => {
      assert.equal(bag.info.messageCount, 20);
    });
  });
});
