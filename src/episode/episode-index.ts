// The episode index: one SQLite database per data dir (<data-dir>/index.db, WAL mode, so readers
// such as `grape recover` or a scorer never block the recorder). Sessions, episodes, scores,
// preference pairs and policy checkpoints; the schema is versioned (PRAGMA user_version) and
// migrated forward on open.
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

import Database from 'better-sqlite3';

import { episodeBagDir, newEpisodeId, newSessionId, resolveInDataDir } from './episode-ids.js';
import { MIGRATIONS } from './index-migrations.js';

export const INDEX_FILE = 'index.db';

export type Outcome = 'success' | 'failure' | 'aborted';
export type EpisodeStatus = 'recording' | 'complete' | 'incomplete' | 'damaged';
export type EpisodeSource = 'recorded' | 'replay';

export interface Session {
  id: string;
  startedAt: string;
  endedAt?: string;
  operator?: string;
  notes?: string;
}

export interface Episode {
  id: string;
  sessionId?: string;
  taskId: string;
  instruction: string;
  seed?: number;
  policyCheckpointId: string;
  operator?: string;
  status: EpisodeStatus;
  /** status === 'complete' */
  complete: boolean;
  outcome?: Outcome;
  collisions: number;
  stepCount: number;
  /** bag directory, relative to the data dir */
  bagPath: string;
  source: EpisodeSource;
  /** the recorded bag an episode was replayed from */
  sourceBag?: string;
  startedAt: string;
  endedAt?: string;
  writerPid?: number;
  writerHost?: string;
  notes?: string;
  error?: string;
}

export interface NewEpisode {
  taskId: string;
  instruction: string;
  policyCheckpointId: string;
  seed?: number;
  operator?: string;
  sessionId?: string;
  source?: EpisodeSource;
  sourceBag?: string;
}

export interface Score {
  id: number;
  episodeId: string;
  total: number;
  terms: Record<string, number>;
  /** the weights, α, τ and penalties the score was computed with */
  config: unknown;
  costSpecVersion?: string;
  createdAt: string;
}

export interface Pair {
  id: number;
  taskId: string;
  chosenEpisodeId: string;
  rejectedEpisodeId: string;
  chosenScore?: number;
  rejectedScore?: number;
  iteration?: number;
  createdAt: string;
}

export interface Checkpoint {
  id: string;
  parentId?: string;
  objective?: string;
  /** relative to the data dir */
  path?: string;
  /** the model package's name@version, its directory (absolute) and the adapter id (none: its own head) */
  model?: string;
  modelDir?: string;
  adapterId?: string;
  createdAt: string;
  metadata: Record<string, unknown>;
}

/** A checkpoint made the one a model's policy node loads; `previousId` is the promotion it replaced. */
export interface Promotion {
  id: number;
  model: string;
  checkpointId: string;
  previousId?: number;
  action: 'promote' | 'rollback';
  note?: string;
  createdAt: string;
}

type Row = Record<string, unknown>;

/** SQL NULL → absent property, so rows read as the optional fields of the interfaces above. */
function compact(row: Row): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(row)) if (v !== null) out[k] = v;
  return out;
}

const EPISODE_COLUMNS = `id, session_id AS sessionId, task_id AS taskId, instruction, seed,
  policy_checkpoint_id AS policyCheckpointId, operator, status, complete, outcome, collisions,
  step_count AS stepCount, bag_path AS bagPath, source, source_bag AS sourceBag,
  started_at AS startedAt, ended_at AS endedAt, writer_pid AS writerPid, writer_host AS writerHost,
  notes, error`;

function toEpisode(row: Row): Episode {
  const e = compact(row) as Omit<Episode, 'complete'> & { complete: number };
  return { ...e, complete: e.complete === 1 };
}

/** Brings a database to the newest schema; refuses one written by a newer grape. */
export function migrate(db: Database.Database, migrations: readonly string[] = MIGRATIONS): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > migrations.length) {
    throw new Error(
      `the episode index ${db.name} has schema version ${current}, newer than this grape knows (${migrations.length}): update grape`,
    );
  }
  // Each step takes the write lock first and reads the version again under it: another process opening
  // the same new data dir (parallel shards) may have migrated while this one waited.
  const step = db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version >= migrations.length) return false;
    db.exec(migrations[version]!);
    db.pragma(`user_version = ${version + 1}`);
    return true;
  });
  while (step.immediate()) {
    // one migration per transaction
  }
  return migrations.length;
}

const now = () => new Date().toISOString();

const BUSY_TIMEOUT_MS = 5000;

/**
 * Switches a database to WAL, retrying while another connection holds the lock. Parallel shards open
 * one new data dir at once, and SQLite answers a lock upgrade that could deadlock with SQLITE_BUSY at
 * once, without calling the busy handler, so busy_timeout alone does not cover this switch.
 */
function useWal(db: Database.Database): void {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (error) {
      const busy = (error as { code?: string }).code === 'SQLITE_BUSY';
      if (!busy || Date.now() >= deadline) throw error;
      Atomics.wait(pause, 0, 0, 5 + Math.random() * 20);
    }
  }
}

export class EpisodeIndex {
  private constructor(
    readonly dataDir: string,
    private readonly db: Database.Database,
  ) {}

  /** Opens (creating if needed) the index of a data dir. */
  static open(dataDir: string): EpisodeIndex {
    mkdirSync(dataDir, { recursive: true });
    const db = new Database(join(dataDir, INDEX_FILE));
    try {
      db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      useWal(db);
      db.pragma('foreign_keys = ON');
      migrate(db);
    } catch (error) {
      db.close();
      throw error;
    }
    return new EpisodeIndex(dataDir, db);
  }

  get schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  close(): void {
    this.db.close();
  }

  // Sessions

  startSession(fields: { operator?: string; notes?: string } = {}): Session {
    const id = newSessionId();
    this.db
      .prepare('INSERT INTO sessions (id, started_at, operator, notes) VALUES (?, ?, ?, ?)')
      .run(id, now(), fields.operator ?? null, fields.notes ?? null);
    return this.session(id)!;
  }

  endSession(id: string): Session {
    const r = this.db
      .prepare('UPDATE sessions SET ended_at = ? WHERE id = ? AND ended_at IS NULL')
      .run(now(), id);
    if (r.changes === 0 && !this.session(id)) throw new Error(`no session ${id}`);
    return this.session(id)!;
  }

  /** Every session, the most recently started first. */
  sessions(): Session[] {
    return this.db
      .prepare<[], Row>(
        'SELECT id, started_at AS startedAt, ended_at AS endedAt, operator, notes FROM sessions ORDER BY started_at DESC, id DESC',
      )
      .all()
      .map((row) => compact(row) as unknown as Session);
  }

  session(id: string): Session | undefined {
    const row = this.db
      .prepare<[string], Row>(
        'SELECT id, started_at AS startedAt, ended_at AS endedAt, operator, notes FROM sessions WHERE id = ?',
      )
      .get(id);
    return row ? (compact(row) as unknown as Session) : undefined;
  }

  // Episodes

  /** A new episode in state 'recording', owned by this process, with a generated id and bag path. */
  createEpisode(fields: NewEpisode, startedAt = new Date()): Episode {
    const id = newEpisodeId(startedAt);
    this.db
      .prepare(
        `INSERT INTO episodes (id, session_id, task_id, instruction, seed, policy_checkpoint_id, operator,
           status, bag_path, source, source_bag, started_at, writer_pid, writer_host)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'recording', ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        id,
        fields.sessionId ?? null,
        fields.taskId,
        fields.instruction,
        fields.seed ?? null,
        fields.policyCheckpointId,
        fields.operator ?? null,
        episodeBagDir(id),
        fields.source ?? 'recorded',
        fields.sourceBag ?? null,
        startedAt.toISOString(),
        process.pid,
        hostname(),
      );
    return this.episode(id)!;
  }

  /** Records how an episode ended; the writer's claim on it is released. */
  finishEpisode(
    id: string,
    fields: {
      status: Exclude<EpisodeStatus, 'recording'>;
      stepCount: number;
      outcome?: Outcome;
      collisions?: number;
      notes?: string;
      error?: string;
    },
  ): Episode {
    const r = this.db
      .prepare(
        `UPDATE episodes SET status = ?, step_count = ?, outcome = COALESCE(?, outcome),
           collisions = COALESCE(?, collisions), notes = COALESCE(?, notes), error = ?,
           ended_at = COALESCE(ended_at, ?), writer_pid = NULL, writer_host = NULL
         WHERE id = ?`,
      )
      .run(
        fields.status,
        fields.stepCount,
        fields.outcome ?? null,
        fields.collisions ?? null,
        fields.notes ?? null,
        fields.error ?? null,
        now(),
        id,
      );
    if (r.changes === 0) throw new Error(`no episode ${id}`);
    return this.episode(id)!;
  }

  episode(id: string): Episode | undefined {
    const row = this.db
      .prepare<[string], Row>(`SELECT ${EPISODE_COLUMNS} FROM episodes WHERE id = ?`)
      .get(id);
    return row ? toEpisode(row) : undefined;
  }

  episodes(filter: { taskId?: string; sessionId?: string; status?: EpisodeStatus[] } = {}): Episode[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.taskId !== undefined) {
      where.push('task_id = ?');
      params.push(filter.taskId);
    }
    if (filter.sessionId !== undefined) {
      where.push('session_id = ?');
      params.push(filter.sessionId);
    }
    if (filter.status) {
      where.push(`status IN (${filter.status.map(() => '?').join(', ')})`);
      params.push(...filter.status);
    }
    const sql = `SELECT ${EPISODE_COLUMNS} FROM episodes ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY started_at, id`;
    return this.db
      .prepare<unknown[], Row>(sql)
      .all(...params)
      .map(toEpisode);
  }

  /** The absolute bag directory of an episode (the stored path, checked to stay in the data dir). */
  bagDir(episode: Pick<Episode, 'bagPath'>): string {
    return resolveInDataDir(this.dataDir, episode.bagPath);
  }

  // Scores

  addScore(
    episodeId: string,
    fields: { total: number; terms: Record<string, number>; config: unknown; costSpecVersion?: string },
  ): Score {
    const r = this.db
      .prepare(
        'INSERT INTO scores (episode_id, total, terms, config, cost_spec_version, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(
        episodeId,
        fields.total,
        JSON.stringify(fields.terms),
        JSON.stringify(fields.config),
        fields.costSpecVersion ?? null,
        now(),
      );
    return this.scores(episodeId).find((s) => s.id === Number(r.lastInsertRowid))!;
  }

  /** Every score of an episode, oldest first. */
  scores(episodeId: string): Score[] {
    return this.db
      .prepare<[string], Row>(
        `SELECT id, episode_id AS episodeId, total, terms, config, cost_spec_version AS costSpecVersion,
           created_at AS createdAt FROM scores WHERE episode_id = ? ORDER BY id`,
      )
      .all(episodeId)
      .map((row) => {
        const s = compact(row) as unknown as Score & { terms: string; config: string };
        return {
          ...s,
          terms: JSON.parse(s.terms) as Record<string, number>,
          config: JSON.parse(s.config) as unknown,
        };
      });
  }

  // Pairs

  addPair(fields: Omit<Pair, 'id' | 'createdAt'>): Pair {
    const r = this.db
      .prepare(
        `INSERT INTO pairs (task_id, chosen_episode_id, rejected_episode_id, chosen_score, rejected_score,
           iteration, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        fields.taskId,
        fields.chosenEpisodeId,
        fields.rejectedEpisodeId,
        fields.chosenScore ?? null,
        fields.rejectedScore ?? null,
        fields.iteration ?? null,
        now(),
      );
    return this.pairs({}).find((p) => p.id === Number(r.lastInsertRowid))!;
  }

  pairs(filter: { taskId?: string; iteration?: number }): Pair[] {
    return this.db
      .prepare<[string | null, string | null, number | null, number | null], Row>(
        `SELECT id, task_id AS taskId, chosen_episode_id AS chosenEpisodeId, rejected_episode_id AS rejectedEpisodeId,
           chosen_score AS chosenScore, rejected_score AS rejectedScore, iteration, created_at AS createdAt
         FROM pairs WHERE (? IS NULL OR task_id = ?) AND (? IS NULL OR iteration = ?) ORDER BY id`,
      )
      .all(filter.taskId ?? null, filter.taskId ?? null, filter.iteration ?? null, filter.iteration ?? null)
      .map((row) => compact(row) as unknown as Pair);
  }

  // Checkpoints

  addCheckpoint(
    fields: Omit<Checkpoint, 'createdAt' | 'metadata'> & { metadata?: Record<string, unknown> },
  ): Checkpoint {
    if (fields.path !== undefined) resolveInDataDir(this.dataDir, fields.path);
    this.db
      .prepare(
        `INSERT INTO checkpoints (id, parent_id, objective, path, model, model_dir, adapter_id, created_at, metadata)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        fields.id,
        fields.parentId ?? null,
        fields.objective ?? null,
        fields.path ?? null,
        fields.model ?? null,
        fields.modelDir ?? null,
        fields.adapterId ?? null,
        now(),
        JSON.stringify(fields.metadata ?? {}),
      );
    return this.checkpoint(fields.id)!;
  }

  checkpoint(id: string): Checkpoint | undefined {
    return this.checkpoints().find((c) => c.id === id);
  }

  /** Registered checkpoints, oldest first (of one model: name@version). */
  checkpoints(filter: { model?: string } = {}): Checkpoint[] {
    return this.db
      .prepare<[string | null, string | null], Row>(
        `SELECT id, parent_id AS parentId, objective, path, model, model_dir AS modelDir, adapter_id AS adapterId,
           created_at AS createdAt, metadata
         FROM checkpoints WHERE (? IS NULL OR model = ?) ORDER BY created_at, id`,
      )
      .all(filter.model ?? null, filter.model ?? null)
      .map((row) => {
        const c = compact(row) as unknown as Checkpoint & { metadata: string };
        return { ...c, metadata: JSON.parse(c.metadata) as Record<string, unknown> };
      });
  }

  // Promotions

  addPromotion(fields: Omit<Promotion, 'id' | 'createdAt'>): Promotion {
    const r = this.db
      .prepare(
        'INSERT INTO promotions (model, checkpoint_id, previous_id, action, note, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(
        fields.model,
        fields.checkpointId,
        fields.previousId ?? null,
        fields.action,
        fields.note ?? null,
        now(),
      );
    return this.promotion(Number(r.lastInsertRowid))!;
  }

  promotion(id: number): Promotion | undefined {
    return this.promotions({ id })[0];
  }

  /** Promotions, newest first (of one model: name@version). */
  promotions(filter: { model?: string; id?: number } = {}): Promotion[] {
    return this.db
      .prepare<[string | null, string | null, number | null, number | null], Row>(
        `SELECT id, model, checkpoint_id AS checkpointId, previous_id AS previousId, action, note,
           created_at AS createdAt
         FROM promotions WHERE (? IS NULL OR model = ?) AND (? IS NULL OR id = ?) ORDER BY id DESC`,
      )
      .all(filter.model ?? null, filter.model ?? null, filter.id ?? null, filter.id ?? null)
      .map((row) => compact(row) as unknown as Promotion);
  }
}
