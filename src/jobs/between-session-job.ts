// The between-session job's steps, on the episode index of the data dir: GCPG-score the session's
// episodes → rank them into chosen/rejected pairs for the next GRAPE iteration → train TPO from the
// promoted checkpoint (the policy that collected them, so πref is the rollout policy) on exactly
// those pairs → the new checkpoint registered as the candidate, promoted only when configured. Each
// step records its progress and result in the job; a failing step fails the job with its error and
// leaves what the earlier steps stored (scores, pairs) in the index.
import { existsSync } from 'node:fs';

import { nativeTrainerFactory } from '../app/native-trainer-factory.js';
import { EpisodeIndex, type Episode } from '../episode/episode-index.js';
import { CostSpecStore } from '../gcpg/cost-spec-store.js';
import { pairEpisodes } from '../gcpg/episode-pairing.js';
import { scoreEpisodes } from '../gcpg/episode-scoring.js';
import { loadRobotSignalConfig } from '../gcpg/robot-signal-config.js';
import { loadModelPackage } from '../policy/model-package.js';
import { CheckpointStore } from '../tpo/checkpoint-store.js';
import { trainCheckpoint, type TrainerFactory } from '../tpo/training-job.js';
import { optionsIn, type BetweenSessionOptions } from './job-config.js';
import type { JobCandidate, JobRecord, JobStep, JobStore } from './job-store.js';

export const BETWEEN_SESSION = 'between-session';
export const BETWEEN_SESSION_STEPS = ['score', 'pairs', 'train', 'promote'] as const;
export type BetweenSessionStep = (typeof BETWEEN_SESSION_STEPS)[number];

export type BetweenSessionJob = JobRecord<BetweenSessionOptions> & { sessionId: string };

/** A step's failure: the job fails with `step: message`. */
export class JobStepError extends Error {
  override readonly name = 'JobStepError';
  constructor(
    readonly step: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export interface StepContext {
  store: JobStore;
  /** The trainer (default: the native addon on the job's device). */
  trainerFactory?: TrainerFactory;
}

/** Episodes that have a readable bag; the others are not scored. */
const SCORABLE = new Set(['complete', 'incomplete']);

const PROGRESS_INTERVAL_MS = 500;

/** Records a job's steps in its job.json and its log, progress at most twice a second. */
class StepRecorder {
  private lastWrite = 0;

  constructor(
    private readonly store: JobStore,
    private job: BetweenSessionJob,
  ) {}

  get record(): BetweenSessionJob {
    return this.job;
  }

  log(text: string): void {
    this.store.log(this.job.id, text);
  }

  private change(name: string, fields: Partial<JobStep>, force = true): void {
    const now = Date.now();
    this.job = {
      ...this.job,
      steps: this.job.steps.map((s) => (s.name === name ? { ...s, ...fields } : s)),
    };
    if (!force && now - this.lastWrite < PROGRESS_INTERVAL_MS) return;
    this.lastWrite = now;
    this.store.write(this.job);
  }

  update(fields: Partial<BetweenSessionJob>): void {
    this.job = { ...this.job, ...fields };
    this.store.write(this.job);
  }

  start(name: string, progress?: JobStep['progress']): void {
    this.change(name, {
      status: 'running',
      startedAt: new Date().toISOString(),
      ...(progress ? { progress } : {}),
    });
    this.log(`step ${name}: started`);
  }

  progress(name: string, done: number, total: number, unit: string): void {
    this.change(name, { progress: { done, total, unit } }, done === total);
  }

  done(name: string, summary: string): void {
    this.change(name, { status: 'done', endedAt: new Date().toISOString(), summary });
    this.log(`step ${name}: ${summary}`);
  }

  skip(name: string, summary: string): void {
    this.change(name, { status: 'skipped', summary });
    this.log(`step ${name}: skipped: ${summary}`);
  }

  fail(name: string, error: string): void {
    this.change(name, { status: 'failed', endedAt: new Date().toISOString(), error });
    this.log(`step ${name}: failed: ${error}`);
  }
}

/** The steps of a new between-session job, all pending. */
export function betweenSessionSteps(): JobStep[] {
  return BETWEEN_SESSION_STEPS.map((name) => ({ name, status: 'pending' }));
}

/** The next GRAPE iteration: one past the highest stored with any pair. */
export function nextIteration(index: EpisodeIndex): number {
  return index.pairs({}).reduce((n, p) => Math.max(n, (p.iteration ?? 0) + 1), 1);
}

function sessionEpisodes(index: EpisodeIndex, sessionId: string): Episode[] {
  if (!index.session(sessionId)) throw new JobStepError('score', `no session ${sessionId} in the index`);
  return index.episodes({ sessionId });
}

async function scoreStep(index: EpisodeIndex, job: BetweenSessionJob, steps: StepRecorder, dataDir: string) {
  const o = job.options;
  const all = sessionEpisodes(index, job.sessionId);
  const episodes = all.filter((e) => SCORABLE.has(e.status));
  if (episodes.length === 0)
    throw new JobStepError(
      'score',
      `session ${job.sessionId} has no scorable episodes (${all.length} recorded${all.length ? `: ${[...new Set(all.map((e) => e.status))].join(', ')}` : ''}); record episodes first`,
    );
  steps.start('score', { done: 0, total: episodes.length, unit: 'episodes' });
  let done = 0;
  const tasks = await scoreEpisodes(index, new CostSpecStore(dataDir), {
    episodeIds: episodes.map((e) => e.id),
    objective: o.objective,
    reward: o.reward,
    store: true,
    ...(o.signals && existsSync(o.signals) ? { robotConfig: loadRobotSignalConfig(o.signals) } : {}),
    onEpisode: () => {
      steps.progress('score', done++, episodes.length, 'episodes');
    },
  });
  steps.progress('score', episodes.length, episodes.length, 'episodes');
  let scored = 0;
  for (const t of tasks) {
    scored += t.scored.length;
    steps.log(
      `  ${t.taskId}: ${t.scored.length} scored${t.specVersion ? ` (cost spec ${t.specVersion}, objective ${o.objective})` : ''}`,
    );
    for (const { episode, score } of [...t.scored].sort((a, b) => b.score.total - a.score.total))
      steps.log(`    ${episode.id}  R ${score.total.toFixed(4)}  ${episode.outcome ?? ''}`);
    for (const f of t.failures) steps.log(`    not scored ${f.episodeId}: ${f.error}`);
  }
  if (scored === 0) {
    const first = tasks.flatMap((t) => t.failures)[0];
    throw new JobStepError(
      'score',
      `none of the session's ${episodes.length} episode(s) could be scored${first ? `: ${first.episodeId}: ${first.error}` : ''}`,
    );
  }
  const failed = episodes.length - scored;
  steps.done(
    'score',
    `${scored} episode(s) of ${tasks.length} task(s) scored${failed ? `, ${failed} not (see the log)` : ''}`,
  );
  return episodes;
}

function pairsStep(
  index: EpisodeIndex,
  job: BetweenSessionJob,
  steps: StepRecorder,
  episodes: Episode[],
): number {
  const iteration = nextIteration(index);
  steps.start('pairs');
  const tasks = pairEpisodes(index, {
    episodeIds: episodes.map((e) => e.id),
    pairing: job.options.pairing,
    iteration,
    store: true,
  });
  let total = 0;
  const why: string[] = [];
  for (const t of tasks) {
    const count = t.stored.length + t.alreadyStored;
    total += count;
    const tooClose = t.pairing.groups.reduce((n, g) => n + g.tooClose, 0);
    const ranked = t.pairing.groups.reduce((n, g) => n + g.ranked.length, 0);
    steps.log(
      `  ${t.taskId}: ${count} pair(s) from ${ranked} ranked episode(s) in ${t.pairing.groups.length} group(s)${tooClose ? `, ${tooClose} too close` : ''}`,
    );
    for (const x of t.excluded) steps.log(`    left out ${x.episodeId}: ${x.reason}`);
    if (count === 0)
      why.push(
        `${t.taskId}: ${ranked} ranked episode(s) in ${t.pairing.groups.length} group(s)${tooClose ? `, ${tooClose} pair(s) closer than the minimum margin ${job.options.pairing.minMargin}` : ''}`,
      );
  }
  if (total === 0)
    throw new JobStepError(
      'pairs',
      `no preference pairs from session ${job.sessionId} (${why.join('; ') || 'nothing ranked'}): record more episodes per task and initial state, or lower pairs.min_margin in jobs.yaml`,
    );
  steps.done('pairs', `${total} pair(s) stored for iteration ${iteration}`);
  return iteration;
}

async function trainStep(
  index: EpisodeIndex,
  job: BetweenSessionJob,
  steps: StepRecorder,
  iteration: number,
  episodes: Episode[],
  factory: TrainerFactory,
): Promise<JobCandidate> {
  const o = job.options;
  const store = new CheckpointStore(index, await loadModelPackage(o.modelDir));
  const parent = store.promoted();
  const collectors = [...new Set(episodes.map((e) => e.policyCheckpointId))];
  if (collectors.some((c) => c !== parent.checkpointId))
    steps.log(
      `  note: the session's episodes were run by ${collectors.join(', ')}; training starts from the promoted ${parent.checkpointId}, the reference its log-ratios are measured against`,
    );
  steps.start('train');
  const summary = await trainCheckpoint(
    index,
    {
      modelDir: o.modelDir,
      from: parent.checkpointId,
      settings: o.train,
      selection: { iteration, sessionIds: [job.sessionId] },
      promote: false,
    },
    factory,
    {
      onRead: (done, total) => {
        steps.progress('train', done, total, 'episodes read');
      },
      onStart: (_, run) => {
        steps.progress('train', 0, run.totalSteps, 'steps');
        steps.log(`  training ${o.train.objective} from ${parent.checkpointId}: ${run.totalSteps} step(s)`);
      },
      onStep: (r) => {
        steps.progress('train', r.step, r.totalSteps, 'steps');
      },
      onEval: (r) => {
        if (r.heldOut)
          steps.log(
            `  step ${r.step}: held-out accuracy ${r.heldOut.accuracy.toFixed(3)}, loss ${r.heldOut.loss.toFixed(4)}`,
          );
      },
    },
    o.device,
  );
  const candidate: JobCandidate = {
    checkpointId: summary.checkpoint,
    adapterId: summary.adapterId,
    parentId: store.checkpointId(summary.parent),
    runId: summary.runId,
    modelDir: store.pkg.dir,
    promoted: false,
  };
  steps.update({ candidate });
  const heldOut = summary.heldOut
    ? `; held-out accuracy ${summary.heldOut.start.accuracy.toFixed(3)} → ${summary.heldOut.best.accuracy.toFixed(3)}`
    : '';
  steps.done(
    'train',
    `${summary.checkpoint} from ${candidate.parentId}: ${summary.data.items} pair(s), ${summary.steps} step(s) (${summary.stopped})${heldOut}; run ${summary.runId}`,
  );
  return candidate;
}

async function promoteStep(
  index: EpisodeIndex,
  job: BetweenSessionJob,
  steps: StepRecorder,
  candidate: JobCandidate,
): Promise<JobCandidate> {
  if (!job.options.autoPromote) {
    steps.skip('promote', `not configured: grape policy promote ${candidate.adapterId}`);
    return candidate;
  }
  steps.start('promote');
  const store = new CheckpointStore(index, await loadModelPackage(candidate.modelDir));
  await store.promote(candidate.adapterId, `between-session job ${job.id} (session ${job.sessionId})`);
  const promoted = { ...candidate, promoted: true };
  steps.update({ candidate: promoted });
  steps.done('promote', `${candidate.checkpointId} is the promoted checkpoint`);
  return promoted;
}

/**
 * Runs the steps of `job` in this process and returns the job as it ended (succeeded or failed; the
 * record is written either way). Throws only when the job cannot be recorded at all.
 */
export async function runBetweenSessionSteps(
  job: BetweenSessionJob,
  context: StepContext,
): Promise<BetweenSessionJob> {
  const { store } = context;
  const steps = new StepRecorder(store, job);
  // Paths as they are where the job runs (the same data dir, mounted elsewhere on a workstation).
  const options = optionsIn(job.options, store.dataDir);
  const work = (): BetweenSessionJob => ({ ...steps.record, options });
  const dataDir = store.dataDir;
  let current: string = 'score';
  const index = EpisodeIndex.open(dataDir);
  try {
    const episodes = await scoreStep(index, work(), steps, dataDir);
    current = 'pairs';
    const iteration = pairsStep(index, work(), steps, episodes);
    current = 'train';
    const factory = context.trainerFactory ?? nativeTrainerFactory(options.device);
    let candidate = await trainStep(index, work(), steps, iteration, episodes, factory);
    current = 'promote';
    candidate = await promoteStep(index, work(), steps, candidate);
    const message = candidate.promoted
      ? `candidate ${candidate.checkpointId} promoted: the policy node loads it on ~/reload_policy or its next start`
      : `candidate ${candidate.checkpointId} ready: grape policy promote ${candidate.adapterId}`;
    steps.update({ status: 'succeeded', endedAt: new Date().toISOString(), message });
    steps.log(message);
  } catch (error) {
    const step = error instanceof JobStepError ? error.step : current;
    const text = (error as Error).message;
    steps.fail(step, text);
    steps.update({
      status: 'failed',
      endedAt: new Date().toISOString(),
      error: `${step}: ${text}`,
      message: `failed at ${step}: ${text}`,
    });
  } finally {
    index.close();
  }
  return steps.record;
}
