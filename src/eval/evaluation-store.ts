// Where evaluations live: one JSON document each, <data-dir>/evaluations/<id>.json, beside the
// training runs (<data-dir>/runs/). A file per evaluation is written once and atomically, needs no
// schema migration, and can be copied between machines (the study's shards) as it is; the episodes
// it lists stay in the episode index, linked by episode id.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { parseEvaluationRun, type EvaluationRun } from './evaluation-run.js';

const EVALUATION_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export interface StoredEvaluations {
  /** Oldest first. */
  runs: EvaluationRun[];
  /** Files that could not be read, with why (a report says so instead of failing). */
  unreadable: { file: string; reason: string }[];
}

export function evaluationsDir(dataDir: string): string {
  return join(resolve(dataDir), 'evaluations');
}

/** eval-YYYYMMDD-HHMMSS-<6 hex>: sorts by time, unique across machines. */
export function newEvaluationId(at = new Date()): string {
  const iso = at.toISOString();
  const stamp = `${iso.slice(0, 10).replaceAll('-', '')}-${iso.slice(11, 19).replaceAll(':', '')}`;
  return `eval-${stamp}-${randomBytes(3).toString('hex')}`;
}

function fileOf(dataDir: string, id: string): string {
  if (!EVALUATION_ID.test(id)) throw new Error(`'${id}' is not a valid evaluation id`);
  return join(evaluationsDir(dataDir), `${id}.json`);
}

/** Writes a new evaluation (never overwrites one); returns its path. */
export function saveEvaluation(dataDir: string, run: EvaluationRun): string {
  const path = fileOf(dataDir, run.id);
  if (existsSync(path)) throw new Error(`evaluation ${run.id} already exists (${path})`);
  mkdirSync(evaluationsDir(dataDir), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(run, null, 2)}\n`);
  renameSync(tmp, path);
  return path;
}

function readEvaluationFile(path: string): EvaluationRun {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`${path}: not JSON (${(error as Error).message})`, { cause: error });
  }
  return parseEvaluationRun(value, path);
}

export function loadEvaluation(dataDir: string, id: string): EvaluationRun {
  const path = fileOf(dataDir, id);
  if (!existsSync(path)) throw new Error(`no evaluation ${id} (no ${path})`);
  const run = readEvaluationFile(path);
  if (run.id !== id) throw new Error(`${path}: holds evaluation ${run.id}, not ${id}`);
  return run;
}

/** Every evaluation of a data dir (none when the folder does not exist). */
export function listEvaluations(dataDir: string): StoredEvaluations {
  const dir = evaluationsDir(dataDir);
  const out: StoredEvaluations = { runs: [], unreadable: [] };
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)
    .filter((n) => n.endsWith('.json'))
    .sort()) {
    const path = join(dir, name);
    try {
      out.runs.push(readEvaluationFile(path));
    } catch (error) {
      out.unreadable.push({ file: path, reason: (error as Error).message });
    }
  }
  out.runs.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  return out;
}
