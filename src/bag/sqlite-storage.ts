// rosbag2 sqlite3 storage (.db3): the old layout (topics + messages, Foxy to Humble) and the new
// one (schema, metadata, message_definitions, type hashes; Iron and later). Files are opened
// read-only and never written: a WAL-mode file is opened immutable, so SQLite creates no -wal or
// -shm file beside it (the bag may sit on a read-only share), unless an existing -wal file holds
// data, in which case the pair is copied and the copy opened.
import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

import Database from 'better-sqlite3';

import { BagFormatError } from './bag-errors.js';
import type { StorageFile, StorageTopic, StoredMessage } from './bag-storage.js';
import { parseQosProfiles, type QosProfile } from './qos-profile.js';

// better-sqlite3 reads this once, when its native module loads (at the first open in the
// process); `file:` URIs are what lets us pass immutable=1.
process.env.SQLITE_USE_URI ??= '1';

type Db = Database.Database;

function uriFor(path: string): string {
  return `file:${path.split('/').map(encodeURIComponent).join('/')}?immutable=1`;
}

/** Opens a db3 without writing anything beside it; returns the database and a cleanup. */
function openReadOnly(path: string): { db: Db; cleanup: () => void } {
  const wal = `${path}-wal`;
  if (!(existsSync(wal) && statSync(wal).size > 0)) {
    try {
      return {
        db: new Database(uriFor(path), { readonly: true, fileMustExist: true }),
        cleanup: () => undefined,
      };
    } catch {
      // URIs were off (another module opened SQLite first): fall through to a private copy.
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'grape-db3-'));
  const copy = join(dir, basename(path));
  copyFileSync(path, copy);
  if (existsSync(wal)) copyFileSync(wal, `${copy}-wal`);
  const db = new Database(copy, { readonly: true, fileMustExist: true });
  return {
    db,
    cleanup: () => {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

interface TopicRow {
  id: number;
  name: string;
  type: string;
  serialization_format: string;
  offered_qos_profiles?: string;
}

export class SqliteStorageFile implements StorageFile {
  readonly storage = 'sqlite3';
  readonly damage = undefined;

  private constructor(
    readonly path: string,
    private readonly db: Db,
    private readonly cleanup: () => void,
    readonly topics: StorageTopic[],
    private readonly topicIds: Map<string, number>,
    readonly messageCount: number,
    readonly startTime: bigint | undefined,
    readonly endTime: bigint | undefined,
  ) {}

  static open(path: string): SqliteStorageFile {
    let opened: { db: Db; cleanup: () => void };
    try {
      opened = openReadOnly(path);
    } catch (error) {
      throw new BagFormatError(`${path}: cannot open as SQLite: ${(error as Error).message}`);
    }
    const { db, cleanup } = opened;
    try {
      return SqliteStorageFile.read(path, db, cleanup);
    } catch (error) {
      db.close();
      cleanup();
      if (error instanceof BagFormatError) throw error;
      throw new BagFormatError(`${path}: not a readable rosbag2 sqlite3 file: ${(error as Error).message}`);
    }
  }

  private static read(path: string, db: Db, cleanup: () => void): SqliteStorageFile {
    const tables = new Set(
      db
        .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
        .all()
        .map((r) => r.name),
    );
    for (const table of ['topics', 'messages']) {
      if (!tables.has(table))
        throw new BagFormatError(`${path}: no ${table} table (not a rosbag2 sqlite3 file)`);
    }
    const columns = new Set(
      db
        .prepare<[], { name: string }>('PRAGMA table_info(topics)')
        .all()
        .map((c) => c.name),
    );
    const qosColumn = columns.has('offered_qos_profiles') ? ', offered_qos_profiles' : '';
    const rows = db
      .prepare<[], TopicRow>(
        `SELECT id, name, type, serialization_format${qosColumn} FROM topics ORDER BY id`,
      )
      .all();

    const definitions = new Map<string, { encoding: string; text: string }>();
    if (tables.has('message_definitions')) {
      const defs = db
        .prepare<[], { topic_type: string; encoding: string; encoded_message_definition: string }>(
          'SELECT topic_type, encoding, encoded_message_definition FROM message_definitions',
        )
        .all();
      for (const d of defs)
        definitions.set(d.topic_type, { encoding: d.encoding, text: d.encoded_message_definition });
    }

    const stats = db
      .prepare<[], { topic_id: bigint; n: bigint; first: bigint; last: bigint }>(
        'SELECT topic_id, COUNT(*) AS n, MIN(timestamp) AS first, MAX(timestamp) AS last FROM messages GROUP BY topic_id',
      )
      .safeIntegers(true)
      .all();
    const counts = new Map(stats.map((s) => [Number(s.topic_id), Number(s.n)]));
    let startTime: bigint | undefined;
    let endTime: bigint | undefined;
    for (const s of stats) {
      if (startTime === undefined || s.first < startTime) startTime = s.first;
      if (endTime === undefined || s.last > endTime) endTime = s.last;
    }

    const topicIds = new Map<string, number>();
    const topics = rows.map((row): StorageTopic => {
      topicIds.set(row.name, row.id);
      let qos: QosProfile[];
      try {
        qos = parseQosProfiles(row.offered_qos_profiles);
      } catch (error) {
        throw new BagFormatError(
          `${path}: topic ${row.name}: offered_qos_profiles: ${(error as Error).message}`,
        );
      }
      const topic: StorageTopic = {
        name: row.name,
        type: row.type,
        serializationFormat: row.serialization_format,
        messageCount: counts.get(row.id) ?? 0,
        qos,
      };
      // rosbag2 keys a service event's definition by the service type (pkg/srv/Name).
      const definition = definitions.get(row.type) ?? definitions.get(row.type.replace(/_Event$/, ''));
      if (definition) topic.definition = definition;
      return topic;
    });
    const messageCount = topics.reduce((n, t) => n + t.messageCount, 0);
    return new SqliteStorageFile(path, db, cleanup, topics, topicIds, messageCount, startTime, endTime);
  }

  *messages(topics?: ReadonlySet<string>): Generator<StoredMessage> {
    const names = new Map<number, string>();
    for (const [name, id] of this.topicIds) if (!topics || topics.has(name)) names.set(id, name);
    if (names.size === 0) return;
    const ids = [...names.keys()];
    const rows = this.db
      .prepare<number[], { topic_id: bigint; timestamp: bigint; data: Buffer }>(
        `SELECT topic_id, timestamp, data FROM messages WHERE topic_id IN (${ids.map(() => '?').join(',')}) ORDER BY timestamp, id`,
      )
      .safeIntegers(true);
    for (const row of rows.iterate(...ids)) {
      yield { topic: names.get(Number(row.topic_id))!, logTime: row.timestamp, data: row.data };
    }
  }

  close(): Promise<void> {
    this.db.close();
    this.cleanup();
    return Promise.resolve();
  }
}
