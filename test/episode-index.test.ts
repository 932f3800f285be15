// The episode index: generated ids and paths (no path traversal from user input), WAL mode,
// versioned schema with migrations, and the sessions/episodes/scores/pairs/checkpoints API.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import Database from 'better-sqlite3';

import { episodeBagDir, newEpisodeId, resolveInDataDir } from '../src/episode/episode-ids.js';
import { EpisodeIndex, INDEX_FILE, migrate } from '../src/episode/episode-index.js';
import { MIGRATIONS } from '../src/episode/index-migrations.js';
import { runModuleScript, testRelativeUrl } from './helpers/module-script.js';

const scratch = mkdtempSync(join(tmpdir(), 'grape-index-'));
after(() => {
  rmSync(scratch, { recursive: true, force: true });
});

let n = 0;
function freshIndex(): EpisodeIndex {
  return EpisodeIndex.open(join(scratch, `data-${n++}`));
}

describe('episode ids and paths', () => {
  it('ids are generated, sortable by time, unique, and map to a dated bag directory', () => {
    const at = new Date('2026-11-25T01:30:07.123Z');
    const ids = Array.from({ length: 200 }, () => newEpisodeId(at));
    assert.equal(new Set(ids).size, 200);
    assert.match(ids[0]!, /^ep-20261125-013007-[0-9a-f]{6}$/);
    assert.equal(episodeBagDir(ids[0]!), `episodes/2026-11-25/${ids[0]!}`);
    assert.ok(newEpisodeId(new Date('2026-11-25T01:30:08Z')) > ids[0]!);
  });

  it('refuses anything that is not an episode id, and any path that leaves the data dir', () => {
    for (const bad of ['../../etc', 'ep-20261125-013007-zzzzzz', 'ses-20261125-013007-abcdef', 'ep-1/../x']) {
      assert.throws(() => episodeBagDir(bad), /not an episode id/);
    }
    const root = join(scratch, 'root');
    assert.equal(resolveInDataDir(root, 'episodes/x'), join(root, 'episodes', 'x'));
    for (const bad of ['../outside', 'episodes/../../outside', '/etc/passwd', '', '.']) {
      assert.throws(() => resolveInDataDir(root, bad), /is not inside the data dir/);
    }
  });

  it('user input never becomes a path: task ids and instructions with ../ are just data', () => {
    const index = freshIndex();
    const e = index.createEpisode({
      taskId: '../../../etc/passwd',
      instruction: '"; DROP TABLE episodes; --',
      policyCheckpointId: '../policy',
    });
    assert.equal(e.bagPath, episodeBagDir(e.id));
    assert.ok(index.bagDir(e).startsWith(join(index.dataDir, 'episodes')));
    assert.equal(index.episode(e.id)!.instruction, '"; DROP TABLE episodes; --');
    assert.equal(index.episodes({ taskId: '../../../etc/passwd' }).length, 1);
    // A tampered row cannot send readers outside the data dir either.
    assert.throws(() => index.bagDir({ bagPath: '../../elsewhere' }), /is not inside the data dir/);
    index.close();
  });
});

describe('EpisodeIndex', () => {
  it('is an SQLite database in WAL mode at <data-dir>/index.db, at the newest schema version', () => {
    const index = freshIndex();
    assert.equal(index.schemaVersion, MIGRATIONS.length);
    index.close();
    const db = new Database(join(scratch, `data-${n - 1}`, INDEX_FILE), { readonly: true });
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    const tables = db
      .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .all()
      .map((r) => r.name);
    assert.deepEqual(tables, ['checkpoints', 'episodes', 'pairs', 'promotions', 'scores', 'sessions']);
    db.close();
  });

  it('episodes: created recording by this process, finished with outcome, steps and status', () => {
    const index = freshIndex();
    const session = index.startSession({ operator: 'ana' });
    const e = index.createEpisode({
      taskId: 'pick-cube',
      instruction: 'pick up the cube',
      policyCheckpointId: 'default-v1',
      seed: 7,
      operator: 'ana',
      sessionId: session.id,
    });
    assert.equal(e.status, 'recording');
    assert.equal(e.complete, false);
    assert.equal(e.writerPid, process.pid);
    assert.equal(e.source, 'recorded');
    assert.equal(e.outcome, undefined);
    const done = index.finishEpisode(e.id, {
      status: 'complete',
      stepCount: 120,
      outcome: 'success',
      collisions: 1,
    });
    assert.deepEqual(
      [done.status, done.complete, done.stepCount, done.outcome, done.collisions, done.writerPid],
      ['complete', true, 120, 'success', 1, undefined],
    );
    assert.ok(done.endedAt! >= done.startedAt);
    const other = index.createEpisode({
      taskId: 'stack',
      instruction: 'stack',
      policyCheckpointId: 'p',
      source: 'replay',
      sourceBag: '/bags/x',
    });
    index.finishEpisode(other.id, { status: 'incomplete', stepCount: 3, error: 'cut short' });
    assert.deepEqual(
      index.episodes({ status: ['complete'] }).map((x) => x.id),
      [e.id],
    );
    assert.deepEqual(
      index.episodes({ sessionId: session.id }).map((x) => x.id),
      [e.id],
    );
    assert.equal(index.episode(other.id)!.sourceBag, '/bags/x');
    assert.equal(index.endSession(session.id).operator, 'ana');
    assert.ok(index.session(session.id)!.endedAt);
    assert.throws(
      () => index.finishEpisode('ep-20260101-000000-000000', { status: 'complete', stepCount: 0 }),
      /no episode/,
    );
    index.close();
  });

  it('the schema enforces outcomes, statuses and references', () => {
    const index = freshIndex();
    const e = index.createEpisode({ taskId: 't', instruction: 'i', policyCheckpointId: 'p' });
    assert.throws(
      () => index.finishEpisode(e.id, { status: 'complete', stepCount: 1, outcome: 'maybe' as 'success' }),
      /CHECK constraint/,
    );
    assert.throws(
      () =>
        index.createEpisode({
          taskId: 't',
          instruction: 'i',
          policyCheckpointId: 'p',
          sessionId: 'ses-nope',
        }),
      /FOREIGN KEY constraint/,
    );
    assert.throws(
      () => index.addPair({ taskId: 't', chosenEpisodeId: e.id, rejectedEpisodeId: e.id }),
      /CHECK constraint/,
    );
    assert.throws(
      () => index.addScore('ep-20260101-000000-000000', { total: 1, terms: {}, config: {} }),
      /FOREIGN KEY/,
    );
    index.close();
  });

  it('scores, pairs and checkpoints round-trip', () => {
    const index = freshIndex();
    const a = index.createEpisode({ taskId: 't', instruction: 'i', policyCheckpointId: 'p' });
    const b = index.createEpisode({ taskId: 't', instruction: 'i', policyCheckpointId: 'p' });
    const config = { weights: { self: 0.01, ext: 0.01, success: 2 }, alpha: 1, tau: [0.1] };
    index.addScore(a.id, {
      total: 2.5,
      terms: { self: -1.2, ext: 0.8, success: 1 },
      config,
      costSpecVersion: 'v3',
    });
    index.addScore(a.id, { total: 2.7, terms: { self: -1, ext: 0.9, success: 1 }, config });
    const scores = index.scores(a.id);
    assert.deepEqual(
      scores.map((s) => s.total),
      [2.5, 2.7],
    );
    assert.deepEqual(scores[0]!.config, config);
    assert.deepEqual(scores[0]!.terms, { self: -1.2, ext: 0.8, success: 1 });
    assert.equal(scores[0]!.costSpecVersion, 'v3');
    const pair = index.addPair({
      taskId: 't',
      chosenEpisodeId: a.id,
      rejectedEpisodeId: b.id,
      chosenScore: 2.7,
      rejectedScore: 0.1,
      iteration: 1,
    });
    assert.equal(pair.chosenEpisodeId, a.id);
    assert.equal(index.pairs({ taskId: 't', iteration: 1 }).length, 1);
    assert.equal(index.pairs({ iteration: 2 }).length, 0);
    index.addCheckpoint({ id: 'default-v1', path: 'checkpoints/default-v1', metadata: { objective: 'sft' } });
    index.addCheckpoint({ id: 'tpo-1', parentId: 'default-v1', objective: 'tpo', path: 'checkpoints/tpo-1' });
    assert.equal(index.checkpoint('tpo-1')!.parentId, 'default-v1');
    assert.deepEqual(index.checkpoint('default-v1')!.metadata, { objective: 'sft' });
    assert.deepEqual(
      index.checkpoints().map((c) => c.id),
      ['default-v1', 'tpo-1'],
    );
    assert.throws(
      () => index.addCheckpoint({ id: 'evil', path: '../../evil' }),
      /is not inside the data dir/,
    );
    assert.throws(() => index.addCheckpoint({ id: 'orphan', parentId: 'nope' }), /FOREIGN KEY/);
    index.close();
  });
});

describe('index migrations', () => {
  it('migrate() applies each step in order, once, and records the version', () => {
    const db = new Database(':memory:');
    const steps = ['CREATE TABLE a (x)', 'ALTER TABLE a ADD COLUMN y', 'CREATE TABLE b (z)'];
    assert.equal(migrate(db, steps.slice(0, 1)), 1);
    assert.equal(db.pragma('user_version', { simple: true }), 1);
    assert.equal(migrate(db, steps), 3);
    assert.equal(migrate(db, steps), 3, 'already current: nothing runs twice');
    assert.deepEqual(
      db
        .prepare<[], { name: string }>('PRAGMA table_info(a)')
        .all()
        .map((c) => c.name),
      ['x', 'y'],
    );
    db.close();
  });

  it('processes opening one new data dir at once all get the migrated index', async () => {
    const dir = join(scratch, 'race');
    // Each child loads first, then waits for a common instant, so that the opens overlap.
    const script = `import { EpisodeIndex } from ${testRelativeUrl('../src/episode/episode-index.ts')};
while (Date.now() < Number(process.argv[2]));
EpisodeIndex.open(process.argv[1]).close();`;
    const start = String(Date.now() + 4000);
    const codes = await Promise.all(Array.from({ length: 4 }, () => runModuleScript(script, [dir, start])));
    for (const c of codes) assert.equal(c.code, 0, c.stderr);
    const index = EpisodeIndex.open(dir);
    assert.equal(index.schemaVersion, MIGRATIONS.length);
    index.close();
  });

  it('a failing step leaves the database at the previous version', () => {
    const db = new Database(':memory:');
    assert.throws(() => migrate(db, ['CREATE TABLE a (x)', 'CREATE TABLE a (x)']), /already exists/);
    assert.equal(db.pragma('user_version', { simple: true }), 1);
    db.close();
  });

  it('an index written by a newer grape is refused with a clear message', () => {
    const dir = join(scratch, 'future');
    EpisodeIndex.open(dir).close();
    const db = new Database(join(dir, INDEX_FILE));
    db.pragma(`user_version = ${MIGRATIONS.length + 5}`);
    db.close();
    assert.throws(
      () => EpisodeIndex.open(dir),
      /has schema version \d+, newer than this grape knows \(\d+\): update grape/,
    );
  });
});
