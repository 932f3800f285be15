// Starting, running, following and cancelling between-session jobs.
//
// start: the session is closed in the index, the job recorded (jobs/<id>/job.json), the lock taken
//   for it, and `grape jobs run <id>` started in the background; the lock is handed to that process.
// run (`grape jobs run <id>`, the background process): the job's configured command when it has one
//   (the GPU workstation), else its steps in this process (`--here` forces the steps: what the
//   configured command runs on the workstation). The lock is released when it ends, whatever the end.
// cancel: SIGTERM to the job's process group; the job records itself canceled.
import type { ChildProcess } from 'node:child_process';
import { hostname } from 'node:os';

import { EpisodeIndex, type Session } from '../episode/episode-index.js';
import type { TrainerFactory } from '../tpo/training-job.js';
import {
  betweenSessionSteps,
  BETWEEN_SESSION,
  runBetweenSessionSteps,
  type BetweenSessionJob,
} from './between-session-job.js';
import { resolveJobOptions, type BetweenSessionOptions, type JobOverrides } from './job-config.js';
import { acquireJobLock, readJobLock, releaseJobLock, type JobLock } from './job-lock.js';
import { runCommand, spawnJobProcess, substituteCommand, type JobLauncher } from './job-process.js';
import { JobStore, newJobId, observedJob, processAlive, TERMINAL, type JobRecord } from './job-store.js';

export interface StartRequest {
  /** The session to close and train on (default: the newest open one). */
  sessionId?: string;
  overrides?: JobOverrides;
}

export interface StartedJob {
  job: BetweenSessionJob;
  session: Session;
  /** The session was open and is closed now. */
  closed: boolean;
  episodes: number;
}

/** The session named, or the newest open one. */
function sessionToEnd(index: EpisodeIndex, sessionId: string | undefined): Session {
  if (sessionId !== undefined) {
    const session = index.session(sessionId);
    if (!session) throw new Error(`no session ${sessionId} in ${index.dataDir}`);
    return session;
  }
  const sessions = index.sessions();
  const open = sessions.find((s) => s.endedAt === undefined);
  if (open) return open;
  throw new Error(
    sessions.length === 0
      ? `no sessions in ${index.dataDir}: record episodes first`
      : `no open session in ${index.dataDir}: name one with --session (the newest is ${sessions[0]!.id}, ended ${sessions[0]!.endedAt ?? ''})`,
  );
}

/**
 * Closes the session (if open) and starts its between-session job in the background. Refused,
 * with nothing started, when the configuration is bad, the session has no episodes, or another
 * job holds the lock (JobLockError); the session is closed in the last two cases all the same.
 */
export function startBetweenSessionJob(
  dataDir: string,
  request: StartRequest = {},
  launch: JobLauncher = spawnJobProcess,
): StartedJob {
  const options = resolveJobOptions(dataDir, request.overrides);
  if (options.command)
    substituteCommand(options.command, { job: 'job', data_dir: dataDir, session: 'session' }); // checks it
  const index = EpisodeIndex.open(dataDir);
  let session: Session;
  let closed = false;
  let episodes: number;
  try {
    session = sessionToEnd(index, request.sessionId);
    if (session.endedAt === undefined) {
      session = index.endSession(session.id);
      closed = true;
    }
    episodes = index.episodes({ sessionId: session.id }).length;
  } finally {
    index.close();
  }
  if (episodes === 0) throw new Error(`session ${session.id} has no episodes: nothing to score or train on`);
  const store = new JobStore(dataDir);
  const id = newJobId();
  let stale: string | undefined;
  const lock = acquireJobLock(dataDir, id, {
    onStale: (owner) => {
      stale = `took over the lock of job ${owner.jobId}, whose process (pid ${owner.pid}) is gone`;
    },
  });
  let job: BetweenSessionJob;
  try {
    job = store.create<BetweenSessionOptions>({
      id,
      kind: BETWEEN_SESSION,
      title: `session ${session.id} (${episodes} episode(s))`,
      sessionId: session.id,
      options,
      steps: options.command
        ? [{ name: 'command', status: 'pending' }, ...betweenSessionSteps()]
        : betweenSessionSteps(),
    }) as BetweenSessionJob;
    if (stale) store.log(id, stale);
    store.log(
      id,
      `job ${id}: session ${session.id}, ${episodes} episode(s); ${options.command ? `command: ${options.command}` : `on ${hostname()}`}`,
    );
    const pid = launch(dataDir, id, store.logPath(id));
    lock.transfer(pid);
    job = store.update<BetweenSessionOptions>(id, (j) => {
      j.pid = pid;
      j.host = hostname();
    }) as BetweenSessionJob;
  } catch (error) {
    lock.release();
    if (store.read(id))
      store.update(id, (j) => {
        j.status = 'failed';
        j.error = `start: ${(error as Error).message}`;
        j.endedAt = new Date().toISOString();
      });
    throw error;
  }
  return { job, session, closed, episodes };
}

export interface RunOptions {
  /** Run the steps in this process even when the job names a command. */
  here?: boolean;
  trainerFactory?: TrainerFactory;
  /** Where SIGTERM/SIGINT are heard (default: this process); returns the unsubscriber. */
  onSignal?: (handler: (signal: NodeJS.Signals) => void) => () => void;
}

function processSignals(handler: (signal: NodeJS.Signals) => void): () => void {
  process.once('SIGTERM', handler);
  process.once('SIGINT', handler);
  return () => {
    process.off('SIGTERM', handler);
    process.off('SIGINT', handler);
  };
}

/** The lock for running `id` here: taken, already this process's, or joined (`--here` under its command). */
function lockForRun(dataDir: string, id: string, here: boolean): JobLock | 'joined' {
  const owner = readJobLock(dataDir);
  if (owner?.jobId === id) {
    // Handed over by the process that started this one (which may not have written the handover yet).
    const mine = owner.host === hostname() && (owner.pid === process.pid || owner.pid === process.ppid);
    if (mine)
      return {
        owner,
        transfer: () => undefined,
        release: () => {
          releaseJobLock(dataDir, id);
        },
      };
    if (here) return 'joined';
    if (owner.host === hostname() && !processAlive(owner.pid)) return acquireJobLock(dataDir, id);
    throw new Error(`job ${id} is already running (pid ${owner.pid} on ${owner.host})`);
  }
  return acquireJobLock(dataDir, id);
}

/** The configured command, its output into the job's log; the job's end from the command's exit. */
async function runJobCommand(
  store: JobStore,
  job: BetweenSessionJob,
  register: (child: ChildProcess) => void,
): Promise<BetweenSessionJob> {
  const commandLine = substituteCommand(job.options.command!, {
    job: job.id,
    data_dir: store.dataDir,
    session: job.sessionId,
  });
  const started = new Date().toISOString();
  store.update<BetweenSessionOptions>(job.id, (j) => {
    j.steps = j.steps.map((s) =>
      s.name === 'command' ? { ...s, status: 'running', startedAt: started } : s,
    );
  });
  store.log(job.id, `$ ${commandLine}`);
  let code: number;
  try {
    code = await runCommand(
      commandLine,
      (line) => {
        store.log(job.id, `| ${line}`);
      },
      register,
    );
  } catch (error) {
    code = 127;
    store.log(job.id, `the command could not start: ${(error as Error).message}`);
  }
  return store.update<BetweenSessionOptions>(job.id, (j) => {
    const ended = new Date().toISOString();
    j.steps = j.steps.map((s) =>
      s.name === 'command'
        ? {
            ...s,
            status: code === 0 ? 'done' : 'failed',
            endedAt: ended,
            ...(code === 0 ? { summary: 'exit 0' } : { error: `exit ${code}` }),
          }
        : s,
    );
    // The command may have run the steps on a shared data dir, which recorded how the job ended.
    if (code !== 0 && j.status !== 'failed') {
      j.status = 'failed';
      j.error = `command: exited with code ${code} (see the log)`;
      j.message = `failed: the command exited with code ${code}`;
    } else if (code === 0 && !TERMINAL.includes(j.status)) {
      j.status = 'succeeded';
      j.message = j.candidate
        ? `candidate ${j.candidate.checkpointId} ready: grape policy promote ${j.candidate.adapterId}`
        : 'the command finished (exit 0); the candidate is where it ran (its data dir is not this one)';
    }
    j.endedAt ??= ended;
  }) as BetweenSessionJob;
}

/** `grape jobs run <id>`: runs the job to its end here; returns it as it ended. */
export async function runJob(
  dataDir: string,
  id: string,
  options: RunOptions = {},
): Promise<BetweenSessionJob> {
  const store = new JobStore(dataDir);
  const job = store.get<BetweenSessionOptions>(id) as BetweenSessionJob;
  if (job.kind !== BETWEEN_SESSION)
    throw new Error(`job ${id} is a ${job.kind} job, which this grape cannot run`);
  if (TERMINAL.includes(job.status))
    throw new Error(
      `job ${id} has ${job.status}; start another for its session: grape session end --session ${job.sessionId}`,
    );
  const here = options.here === true || job.options.command === undefined;
  const lock = lockForRun(dataDir, id, options.here === true);
  let child: ChildProcess | undefined;
  const unsubscribe = (options.onSignal ?? processSignals)((signal) => {
    store.log(id, `${signal}: canceled`);
    child?.kill('SIGTERM');
    store.update(id, (j) => {
      if (TERMINAL.includes(j.status)) return;
      j.status = 'canceled';
      j.endedAt = new Date().toISOString();
      j.message = `canceled (${signal})`;
      j.steps = j.steps.map((s) =>
        s.status === 'running' ? { ...s, status: 'failed', error: 'canceled' } : s,
      );
    });
    if (lock !== 'joined') lock.release();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  });
  try {
    const running = store.update<BetweenSessionOptions>(id, (j) => {
      j.status = 'running';
      j.startedAt ??= new Date().toISOString();
      if (lock !== 'joined') {
        j.pid = process.pid;
        j.host = hostname();
      }
    }) as BetweenSessionJob;
    if (!here)
      return await runJobCommand(store, running, (c) => {
        child = c;
      });
    return await runBetweenSessionSteps(running, {
      store,
      ...(options.trainerFactory ? { trainerFactory: options.trainerFactory } : {}),
    });
  } catch (error) {
    store.log(id, `failed: ${(error as Error).stack ?? String(error)}`);
    return store.update<BetweenSessionOptions>(id, (j) => {
      j.status = 'failed';
      j.error ??= (error as Error).message;
      j.endedAt = new Date().toISOString();
    }) as BetweenSessionJob;
  } finally {
    unsubscribe();
    if (lock !== 'joined') lock.release();
  }
}

/** Stops a job: its background process gets SIGTERM and records the job canceled. */
export async function cancelJob(dataDir: string, id: string, waitMs = 10_000): Promise<JobRecord> {
  const store = new JobStore(dataDir);
  const job = observedJob(store.get(id));
  if (TERMINAL.includes(job.status)) throw new Error(`job ${id} has already ${job.status}`);
  if (job.host !== undefined && job.host !== hostname())
    throw new Error(`job ${id} runs on ${job.host} (pid ${job.pid}): cancel it there`);
  if (job.pid !== undefined && processAlive(job.pid)) {
    try {
      process.kill(-job.pid, 'SIGTERM'); // its process group: the job and what it started
    } catch {
      process.kill(job.pid, 'SIGTERM');
    }
    const until = Date.now() + waitMs;
    while (Date.now() < until) {
      const now = store.get(id);
      if (TERMINAL.includes(now.status)) return now;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  // Not running (never started, or gone), or it did not answer in time.
  const canceled = store.update(id, (j) => {
    j.status = 'canceled';
    j.endedAt = new Date().toISOString();
    j.message = 'canceled';
  });
  releaseJobLock(dataDir, id);
  return canceled;
}

export interface FollowOptions {
  intervalMs?: number;
  onChange?: (job: JobRecord) => void;
}

/** Waits for a job to end, calling onChange with it whenever its record changes. */
export async function followJob(
  dataDir: string,
  id: string,
  options: FollowOptions = {},
): Promise<JobRecord> {
  const store = new JobStore(dataDir);
  let last = '';
  for (;;) {
    const job = observedJob(store.get(id));
    const text = JSON.stringify(job);
    if (text !== last) options.onChange?.(job);
    last = text;
    if (TERMINAL.includes(job.status)) return job;
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 500));
  }
}
