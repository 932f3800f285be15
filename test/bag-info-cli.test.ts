// grape bag info: a table for people, JSON with --json; bag directories and bare files; every
// topic including channels without messages; clear errors with exit code 1.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import type { BagInfoJson } from '../src/cli/commands/bag-info.js';
import { runCli } from './helpers/cli.js';

const FIXTURES = join(import.meta.dirname, '..', '..', 'shared', 'fixtures', 'rosbags');

describe('grape bag info', () => {
  it('--json: every topic with type and count (channels without messages included), duration', () => {
    const r = runCli(['bag', 'info', join(FIXTURES, 'rosbag2-services-mcap'), '--json']);
    assert.equal(r.status, 0, r.stderr);
    const info = JSON.parse(r.stdout) as BagInfoJson;
    assert.equal(info.storage, 'mcap');
    assert.equal(info.metadataVersion, 8);
    assert.equal(info.messageCount, 10);
    assert.deepEqual(info.topics.map((t) => [t.name, t.type, t.messageCount]).sort(), [
      ['/events/write_split', 'rosbag2_interfaces/msg/WriteSplitEvent', 0],
      ['/test_service1/_service_event', 'test_msgs/srv/BasicTypes_Event', 4],
      ['/test_service2/_service_event', 'test_msgs/srv/BasicTypes_Event', 4],
      ['/test_topic1', 'test_msgs/msg/Strings', 1],
      ['/test_topic2', 'test_msgs/msg/Strings', 1],
    ]);
    assert.equal(info.startTime, '1699345836270074454');
    assert.equal(info.duration, '70653944');
    assert.equal(info.durationSeconds, 0.070653944);
  });

  it('prints a table for people, from a bag directory or a bare .mcap/.db3', () => {
    const dir = runCli(['bag', 'info', join(FIXTURES, 'rosbag2-talker-sqlite3')]);
    assert.equal(dir.status, 0, dir.stderr);
    assert.match(dir.stdout, /storage\s+sqlite3 \(1 file, 16\.0 KiB, metadata\.yaml v4\)/);
    assert.match(
      dir.stdout,
      /duration\s+4\.531 s \(2020-04-02T22:23:55\.112411371Z → 2020-04-02T22:23:59\.643508139Z\)/,
    );
    assert.match(
      dir.stdout,
      /\/parameter_events\s+rcl_interfaces\/msg\/ParameterEvent\s+0\s+cdr\s+reliable, volatile/,
    );
    assert.match(dir.stdout, /\/rosout\s+rcl_interfaces\/msg\/Log\s+10\s+cdr\s+reliable, transient_local/);

    const mcap = runCli(['bag', 'info', join(FIXTURES, 'rosbag2-split-mcap', 'wbag_0.mcap')]);
    assert.equal(mcap.status, 0, mcap.stderr);
    assert.match(mcap.stdout, /storage\s+mcap \(1 file, 31\.0 KiB, no metadata\.yaml\)/);
    assert.match(mcap.stdout, /duration\s+408 ns/);
    const db3 = runCli(['bag', 'info', join(FIXTURES, 'ait-images-sqlite3', 'images.bag_0.db3'), '--json']);
    assert.equal((JSON.parse(db3.stdout) as BagInfoJson).topics[0]!.messageCount, 3);
  });

  it('a wrong-format bag still lists its topics and their format', () => {
    const r = runCli(['bag', 'info', join(FIXTURES, 'rosbag2-wrong-format-sqlite3')]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /\/array_topic\s+test_msgs\/msg\/Arrays\s+4\s+wrong_format/);
  });

  it('bad input: a clear message on stderr and exit code 1', () => {
    const missing = runCli(['bag', 'info', '/nonexistent/bag']);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /grape bag info: \/nonexistent\/bag: no such bag/);
    const notBag = runCli(['bag', 'info', join(FIXTURES, 'README.md')]);
    assert.equal(notBag.status, 1);
    assert.match(notBag.stderr, /README\.md: neither an MCAP nor an SQLite/);
    assert.notEqual(runCli(['bag', 'info']).status, 0);
    assert.notEqual(runCli(['bag', 'nope', 'x']).status, 0);
  });
});
