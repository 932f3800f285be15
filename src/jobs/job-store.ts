// Background jobs on disk: one directory per job under <data-dir>/jobs/<id>/ with job.json (what the
// job is, its status, its steps with progress, its result) and log.txt (everything it printed). The
// job process is the only writer of its job.json while it runs; job.json is replaced atomically, so
// a reader (grape jobs, the ROS node) never sees half a file.
import { randomBytes } from 'node:crypto';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

export const JOBS_DIR = 'jobs';
const JOB_FILE = 'job.json';
const LOG_FILE = 'log.txt';

const JOB_ID = /^job-\d{8}-\d{6}-[0-9a-f]{6}$/;

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'canceled';
export type StepStatus = 'pending' | 'running' | 'done' | 'failed' | 'skipped';

export const TERMINAL: readonly JobStatus[] = ['succeeded', 'failed', 'canceled'];

export interface JobStep {
  name: string;
  status: StepStatus;
  /** Units done of the step's total, while it runs (episodes scored, training steps). */
  progress?: { done: number; total: number; unit: string };
  startedAt?: string;
  endedAt?: string;
  /** What the step did, in a line. */
  summary?: string;
  error?: string;
}

/** The checkpoint a between-session job trained. */
export interface JobCandidate {
  checkpointId: string;
  adapterId: string;
  /** The checkpoint it was trained from (the promoted one when the job started). */
  parentId: string;
  runId: string;
  modelDir: string;
  promoted: boolean;
}

export interface JobRecord<Options = unknown> {
  id: string;
  kind: string;
  /** What the job works on, in words (e.g. "session ses-…"). */
  title: string;
  sessionId?: string;
  status: JobStatus;
  createdAt: string;
  startedAt?: string;
  endedAt?: string;
  /** The process running the job and its host (a background process of the machine that started it). */
  pid?: number;
  host?: string;
  /** Everything the job was configured with, resolved (settings, paths, command). */
  options: Options;
  steps: JobStep[];
  candidate?: JobCandidate;
  /** The failure: the step and what went wrong. */
  error?: string;
  /** How it ended, in a line. */
  message?: string;
}

export function newJobId(now = new Date()): string {
  const iso = now.toISOString();
  const date = iso.slice(0, 10).replaceAll('-', '');
  const time = iso.slice(11, 19).replaceAll(':', '');
  return `job-${date}-${time}-${randomBytes(3).toString('hex')}`;
}

/** Whether a process runs (a process of another user counts as running). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class JobStore {
  readonly dir: string;

  constructor(readonly dataDir: string) {
    this.dir = join(dataDir, JOBS_DIR);
  }

  jobDir(id: string): string {
    if (!JOB_ID.test(id)) throw new Error(`not a job id: ${JSON.stringify(id)} (grape jobs lists them)`);
    return join(this.dir, id);
  }

  logPath(id: string): string {
    return join(this.jobDir(id), LOG_FILE);
  }

  create<O>(fields: Omit<JobRecord<O>, 'id' | 'status' | 'createdAt'> & { id?: string }): JobRecord<O> {
    const record: JobRecord<O> = {
      ...fields,
      id: fields.id ?? newJobId(),
      status: 'queued',
      createdAt: new Date().toISOString(),
    };
    mkdirSync(this.jobDir(record.id), { recursive: true });
    this.write(record);
    writeFileSync(this.logPath(record.id), '', { flag: 'a' });
    return record;
  }

  /** The job as written (undefined: no such job). */
  read<O = unknown>(id: string): JobRecord<O> | undefined {
    const file = join(this.jobDir(id), JOB_FILE);
    if (!existsSync(file)) return undefined;
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as JobRecord<O>;
    } catch (error) {
      throw new Error(`${file} is unreadable: ${(error as Error).message}`, { cause: error });
    }
  }

  /** The job as written, or an error naming the id. */
  get<O = unknown>(id: string): JobRecord<O> {
    const job = this.read<O>(id);
    if (!job) throw new Error(`no job ${id} in ${this.dir} (grape jobs lists them)`);
    return job;
  }

  write(record: JobRecord): void {
    const file = join(this.jobDir(record.id), JOB_FILE);
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(record, null, 2)}\n`);
    renameSync(tmp, file);
  }

  /** Reads, changes and writes a job back; returns what was written. */
  update<O>(id: string, change: (job: JobRecord<O>) => void): JobRecord<O> {
    const job = this.get<O>(id);
    change(job);
    this.write(job);
    return job;
  }

  /** Every job, newest first. */
  list<O = unknown>(): JobRecord<O>[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((name) => JOB_ID.test(name))
      .sort()
      .reverse()
      .flatMap((id) => {
        const job = this.read<O>(id);
        return job ? [job] : [];
      });
  }

  /** Appends lines to the job's log, each stamped with the time. */
  log(id: string, text: string): void {
    const stamp = new Date().toISOString();
    const lines = text.replace(/\n$/, '').split('\n');
    appendFileSync(this.logPath(id), lines.map((l) => `${stamp} ${l}\n`).join(''));
  }

  /** The last `lines` lines of the job's log. */
  logTail(id: string, lines: number): string[] {
    const file = this.logPath(id);
    if (!existsSync(file)) return [];
    const all = readFileSync(file, 'utf8').split('\n');
    if (all.at(-1) === '') all.pop();
    return all.slice(-lines);
  }
}

/**
 * The job as it stands: a job recorded as queued or running whose process, on this host, is gone
 * (killed, crashed, the machine rebooted) ended without finishing, and reads as failed.
 */
export function observedJob<O>(job: JobRecord<O>): JobRecord<O> {
  if (TERMINAL.includes(job.status) || job.pid === undefined || job.host !== hostname()) return job;
  if (processAlive(job.pid)) return job;
  return {
    ...job,
    status: 'failed',
    error: `the job's process (pid ${job.pid}) ended without finishing: see ${LOG_FILE}`,
    steps: job.steps.map((s) =>
      s.status === 'running' ? { ...s, status: 'failed', error: 'interrupted' } : s,
    ),
  };
}
