// One background job at a time per data dir: <data-dir>/jobs/lock names the job holding it, the
// process running that job and its host. Taking the lock is atomic (a complete file is hard-linked
// into place, which fails when one is there); a lock whose process is gone on this host (a crashed
// or killed job) is stale and taken over. A lock held from another host cannot be checked and is
// respected, saying how to clear it if that machine is gone.
import { existsSync, linkSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

import { JOBS_DIR, processAlive } from './job-store.js';

export const LOCK_FILE = 'lock';

export interface LockOwner {
  jobId: string;
  pid: number;
  host: string;
  since: string;
}

/** Another job holds the lock. */
export class JobLockError extends Error {
  override readonly name = 'JobLockError';
  constructor(
    readonly owner: LockOwner,
    readonly lockPath: string,
  ) {
    const where =
      owner.host === hostname()
        ? `pid ${owner.pid}`
        : `pid ${owner.pid} on ${owner.host}; if that machine is gone, remove ${lockPath}`;
    super(
      `job ${owner.jobId} is running (${where}, since ${owner.since}): one job runs at a time; follow it with grape jobs show ${owner.jobId} or stop it with grape jobs cancel ${owner.jobId}`,
    );
  }
}

export function lockPath(dataDir: string): string {
  return join(dataDir, JOBS_DIR, LOCK_FILE);
}

/** A lock file being written right now reads as empty for a moment; older than this, it is junk. */
const UNREADABLE_GRACE_MS = 10_000;

/** The lock's owner; undefined when there is no lock. */
export function readJobLock(dataDir: string): LockOwner | undefined {
  const path = lockPath(dataDir);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const owner = JSON.parse(text) as Partial<LockOwner>;
    if (typeof owner.jobId === 'string' && typeof owner.pid === 'number' && typeof owner.host === 'string')
      return { jobId: owner.jobId, pid: owner.pid, host: owner.host, since: owner.since ?? '' };
  } catch {
    // unreadable: below
  }
  return { jobId: '(unknown)', pid: 0, host: '', since: statSync(path).mtime.toISOString() };
}

/** Whether the owner is certainly gone: its process is not running on this host, or the file is junk. */
function isStale(owner: LockOwner): boolean {
  if (owner.pid === 0) return Date.now() - Date.parse(owner.since) > UNREADABLE_GRACE_MS;
  return owner.host === hostname() && !processAlive(owner.pid);
}

function writeOwner(file: string, owner: LockOwner): void {
  writeFileSync(file, `${JSON.stringify(owner)}\n`);
}

export interface JobLock {
  readonly owner: LockOwner;
  /** Hands the lock to another process of this host (the background process that runs the job). */
  transfer(pid: number): void;
  /** Removes the lock if it is still this job's. */
  release(): void;
}

class HeldLock implements JobLock {
  constructor(
    private readonly dataDir: string,
    public owner: LockOwner,
  ) {}

  transfer(pid: number): void {
    const path = lockPath(this.dataDir);
    const tmp = `${path}.${process.pid}.tmp`;
    this.owner = { ...this.owner, pid };
    writeOwner(tmp, this.owner);
    renameSync(tmp, path); // atomic replace
  }

  release(): void {
    releaseJobLock(this.dataDir, this.owner.jobId);
  }
}

/** Removes the lock if it names `jobId` (a job never removes another's lock). */
export function releaseJobLock(dataDir: string, jobId: string): void {
  const owner = readJobLock(dataDir);
  if (owner?.jobId !== jobId) return;
  try {
    unlinkSync(lockPath(dataDir));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/**
 * Takes the lock for `jobId`, held by `pid` (default this process). A stale lock is taken over;
 * a live one is a JobLockError naming the job that holds it. `onStale` hears about a takeover.
 */
export function acquireJobLock(
  dataDir: string,
  jobId: string,
  options: { pid?: number; onStale?: (owner: LockOwner) => void } = {},
): JobLock {
  const path = lockPath(dataDir);
  mkdirSync(join(dataDir, JOBS_DIR), { recursive: true });
  const owner: LockOwner = {
    jobId,
    pid: options.pid ?? process.pid,
    host: hostname(),
    since: new Date().toISOString(),
  };
  const tmp = `${path}.${process.pid}.new`;
  writeOwner(tmp, owner);
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        linkSync(tmp, path); // fails with EEXIST when a lock is there
        return new HeldLock(dataDir, owner);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const current = readJobLock(dataDir);
      if (!current) continue; // released meanwhile
      if (!isStale(current)) throw new JobLockError(current, path);
      // Move the stale lock aside and check it is the one judged stale: another process may have
      // taken it over in between, and its fresh lock is put back.
      const aside = `${path}.${process.pid}.stale`;
      try {
        renameSync(path, aside);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw error;
      }
      const moved = readFileSync(aside, 'utf8');
      let same = false;
      try {
        const m = JSON.parse(moved) as LockOwner;
        same = m.jobId === current.jobId && m.pid === current.pid && m.since === current.since;
      } catch {
        same = current.pid === 0;
      }
      if (!same) {
        if (!existsSync(path)) renameSync(aside, path);
        else unlinkSync(aside);
        continue;
      }
      unlinkSync(aside);
      options.onStale?.(current);
    }
    throw new Error(`could not take ${path}: it keeps changing`);
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
  }
}
