// Wiring: everything a report shows, gathered from a data dir (read only; opening the episode index
// brings its schema up to date, as every grape command does) — evaluations
// (evaluations/), the episode index (episodes, latest scores, pairs, checkpoints and promotions) and
// training runs (runs/<id>/: run.json, log.jsonl, summary.json). Whatever is missing is simply
// empty; whatever cannot be read is listed with the reason instead of failing the report.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { listEvaluations } from '../eval/evaluation-store.js';
import { EpisodeIndex, INDEX_FILE } from '../episode/episode-index.js';
import type {
  CheckpointFacts,
  EpisodeFacts,
  PairFacts,
  ReportData,
  ScoreFacts,
  TrainingCurves,
  TrainingPoint,
} from '../report/report-data.js';
import { RunDirectory, runsDir } from '../tpo/run-directory.js';

type Unreadable = ReportData['unreadable'];

interface IndexFacts {
  episodes: EpisodeFacts[];
  scores: ScoreFacts[];
  pairs: PairFacts[];
  checkpoints: CheckpointFacts[];
}

function readIndex(
  dataDir: string,
  evaluationSessions: Set<string>,
  evaluationEpisodes: Set<string>,
): IndexFacts {
  const index = EpisodeIndex.open(dataDir);
  try {
    const recorded = index.episodes();
    const episodes = recorded.map((e): EpisodeFacts => ({
      id: e.id,
      taskId: e.taskId,
      policy: e.policyCheckpointId,
      status: e.status,
      ...(e.outcome ? { outcome: e.outcome } : {}),
      collisions: e.collisions,
      steps: e.stepCount,
      evaluation:
        evaluationEpisodes.has(e.id) || (e.sessionId !== undefined && evaluationSessions.has(e.sessionId)),
    }));
    const scores = recorded.flatMap((e): ScoreFacts[] => {
      const latest = index.scores(e.id).at(-1);
      return latest
        ? [
            {
              episodeId: e.id,
              taskId: e.taskId,
              total: latest.total,
              ...(e.outcome ? { outcome: e.outcome } : {}),
            },
          ]
        : [];
    });
    const pairs = index.pairs({}).map((p): PairFacts => ({
      taskId: p.taskId,
      ...(p.iteration === undefined ? {} : { iteration: p.iteration }),
      ...(p.chosenScore === undefined || p.rejectedScore === undefined
        ? {}
        : { margin: p.chosenScore - p.rejectedScore }),
    }));
    const registered = index.checkpoints();
    const promoted = new Set(
      [...new Set(registered.flatMap((c) => (c.model ? [c.model] : [])))].flatMap((model) => {
        const latest = index.promotions({ model })[0];
        return latest ? [latest.checkpointId] : [];
      }),
    );
    const checkpoints = registered.map((c): CheckpointFacts => ({
      id: c.id,
      ...(c.parentId ? { parentId: c.parentId } : {}),
      ...(c.objective ? { objective: c.objective } : {}),
      createdAt: c.createdAt,
      promoted: promoted.has(c.id),
    }));
    return { episodes, scores, pairs, checkpoints };
  } finally {
    index.close();
  }
}

function trainingPoint(entry: Record<string, unknown>, step: unknown): TrainingPoint | undefined {
  const { loss, accuracy, margin, nll } = entry;
  const numbers = [step, loss, accuracy, margin, nll];
  if (!numbers.every((v) => typeof v === 'number' && Number.isFinite(v))) return undefined;
  return {
    step: step as number,
    loss: loss as number,
    accuracy: accuracy as number,
    margin: margin as number,
    nll: nll as number,
  };
}

/** One run's curves from its log: a step line per optimizer step, an eval line per evaluation point. */
function readRun(dataDir: string, runId: string, unreadable: Unreadable): TrainingCurves {
  const dir = RunDirectory.open(dataDir, runId);
  const m = dir.manifest;
  const curves: TrainingCurves = {
    runId,
    objective: m.settings.objective,
    model: m.model,
    parent: m.parent,
    steps: [],
    heldOut: [],
  };
  const summary = dir.readSummary();
  if (typeof summary?.checkpoint === 'string') curves.checkpoint = summary.checkpoint;
  if (typeof summary?.stopped === 'string') curves.stopped = summary.stopped;
  if (!existsSync(dir.logPath)) return curves;
  const lines = readFileSync(dir.logPath, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
  let broken = 0;
  for (const line of lines) {
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(line) as Record<string, unknown>;
    } catch {
      broken++;
      continue;
    }
    if (entry.type === 'step') {
      const p = trainingPoint(entry, entry.step);
      if (p) curves.steps.push(p);
    } else if (entry.type === 'eval' && typeof entry.heldOut === 'object' && entry.heldOut !== null) {
      const p = trainingPoint(entry.heldOut as Record<string, unknown>, entry.step);
      if (p) curves.heldOut.push(p);
    }
  }
  if (broken > 0) unreadable.push({ file: dir.logPath, reason: `${broken} line(s) are not JSON (left out)` });
  return curves;
}

function readRuns(dataDir: string, unreadable: Unreadable): TrainingCurves[] {
  const dir = runsDir(dataDir);
  if (!existsSync(dir)) return [];
  const runs: TrainingCurves[] = [];
  const names = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name);
  for (const name of names.sort()) {
    try {
      runs.push(readRun(dataDir, name, unreadable));
    } catch (error) {
      unreadable.push({ file: join(dir, name), reason: (error as Error).message });
    }
  }
  return runs;
}

export function gatherReportData(dataDir: string, now = new Date()): ReportData {
  const dir = resolve(dataDir);
  if (!existsSync(dir)) throw new Error(`no data dir ${dir}`);
  const stored = listEvaluations(dir);
  const unreadable: Unreadable = [...stored.unreadable];
  const evaluationSessions = new Set(stored.runs.flatMap((r) => (r.sessionId ? [r.sessionId] : [])));
  const evaluationEpisodes = new Set(stored.runs.flatMap((r) => r.episodes.map((e) => e.episodeId)));
  let facts: IndexFacts = { episodes: [], scores: [], pairs: [], checkpoints: [] };
  const indexPath = join(dir, INDEX_FILE);
  if (existsSync(indexPath)) {
    try {
      facts = readIndex(dir, evaluationSessions, evaluationEpisodes);
    } catch (error) {
      unreadable.push({ file: indexPath, reason: (error as Error).message });
    }
  }
  return {
    dataDir: dir,
    generatedAt: now.toISOString(),
    evaluations: stored.runs,
    ...facts,
    trainingRuns: readRuns(dir, unreadable),
    unreadable,
  };
}
