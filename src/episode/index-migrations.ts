// The episode index schema, as migrations: MIGRATIONS[v] takes a database at user_version v to
// v + 1. Never edit a released step; append a new one.
export const MIGRATIONS: readonly string[] = [
  // 0 → 1: sessions, checkpoints, episodes, scores, pairs.
  `
  CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    operator TEXT,
    notes TEXT
  );
  CREATE TABLE checkpoints (
    id TEXT PRIMARY KEY,
    parent_id TEXT REFERENCES checkpoints(id),
    objective TEXT,
    path TEXT,
    created_at TEXT NOT NULL,
    metadata TEXT NOT NULL DEFAULT '{}'
  );
  CREATE TABLE episodes (
    id TEXT PRIMARY KEY,
    session_id TEXT REFERENCES sessions(id),
    task_id TEXT NOT NULL,
    instruction TEXT NOT NULL,
    seed INTEGER,
    policy_checkpoint_id TEXT NOT NULL,
    operator TEXT,
    -- recording: being written (or its writer died); complete: ended normally; incomplete: cut
    -- short, bag repaired and readable; damaged: the writer failed and the bag awaits repair.
    status TEXT NOT NULL CHECK (status IN ('recording', 'complete', 'incomplete', 'damaged')),
    complete INTEGER GENERATED ALWAYS AS (status = 'complete') VIRTUAL,
    outcome TEXT CHECK (outcome IN ('success', 'failure', 'aborted')),
    collisions INTEGER NOT NULL DEFAULT 0,
    step_count INTEGER NOT NULL DEFAULT 0,
    bag_path TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL CHECK (source IN ('recorded', 'replay')),
    source_bag TEXT,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    writer_pid INTEGER,
    writer_host TEXT,
    notes TEXT,
    error TEXT
  );
  CREATE INDEX episodes_task ON episodes (task_id, status);
  CREATE INDEX episodes_session ON episodes (session_id);
  CREATE TABLE scores (
    id INTEGER PRIMARY KEY,
    episode_id TEXT NOT NULL REFERENCES episodes(id) ON DELETE CASCADE,
    total REAL NOT NULL,
    terms TEXT NOT NULL,
    config TEXT NOT NULL,
    cost_spec_version TEXT,
    created_at TEXT NOT NULL
  );
  CREATE INDEX scores_episode ON scores (episode_id);
  CREATE TABLE pairs (
    id INTEGER PRIMARY KEY,
    task_id TEXT NOT NULL,
    chosen_episode_id TEXT NOT NULL REFERENCES episodes(id),
    rejected_episode_id TEXT NOT NULL REFERENCES episodes(id),
    chosen_score REAL,
    rejected_score REAL,
    iteration INTEGER,
    created_at TEXT NOT NULL,
    CHECK (chosen_episode_id <> rejected_episode_id)
  );
  CREATE INDEX pairs_task ON pairs (task_id, iteration);
  `,
  // 1 → 2: the checkpoint registry: which model package and adapter file a checkpoint is, and the
  // promotions (what a model's node loads), each remembering the one it replaced (rollback).
  `
  ALTER TABLE checkpoints ADD COLUMN model TEXT;
  ALTER TABLE checkpoints ADD COLUMN model_dir TEXT;
  ALTER TABLE checkpoints ADD COLUMN adapter_id TEXT;
  CREATE TABLE promotions (
    id INTEGER PRIMARY KEY,
    model TEXT NOT NULL,
    checkpoint_id TEXT NOT NULL REFERENCES checkpoints(id),
    previous_id INTEGER REFERENCES promotions(id),
    action TEXT NOT NULL CHECK (action IN ('promote', 'rollback')),
    note TEXT,
    created_at TEXT NOT NULL
  );
  CREATE INDEX promotions_model ON promotions (model, id);
  `,
];
