// The job runner's small parts: the one-job-at-a-time lock (refuses a second job naming the first,
// takes over a crashed job's stale lock, respects another host's), jobs.yaml and the configured
// command's placeholders.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { EpisodeIndex } from '../src/episode/episode-index.js';
import { optionsIn, resolveJobOptions } from '../src/jobs/job-config.js';
import {
  acquireJobLock,
  JobLockError,
  lockPath,
  readJobLock,
  releaseJobLock,
  type LockOwner,
} from '../src/jobs/job-lock.js';
import { substituteCommand } from '../src/jobs/job-process.js';
import { startBetweenSessionJob } from '../src/jobs/job-runner.js';
import { JobStore, observedJob } from '../src/jobs/job-store.js';
import { sessionDataDir } from './helpers/job-fixtures.js';
import { tempDir } from './helpers/tpo-fixtures.js';

/** The pid of a process that has exited (no process has it now). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '0']);
  return r.pid;
}

function writeLock(dataDir: string, owner: LockOwner): void {
  mkdirSync(join(dataDir, 'jobs'), { recursive: true });
  writeFileSync(lockPath(dataDir), JSON.stringify(owner));
}

describe('job lock', () => {
  it('lets one job run at a time, naming the running job to the next', () => {
    const dataDir = tempDir('jobs-lock');
    const lock = acquireJobLock(dataDir, 'job-20261125-010000-aaaaaa');
    assert.deepEqual(
      [readJobLock(dataDir)?.jobId, readJobLock(dataDir)?.pid],
      ['job-20261125-010000-aaaaaa', process.pid],
    );
    assert.throws(
      () => acquireJobLock(dataDir, 'job-20261125-010001-bbbbbb'),
      (error: unknown) => {
        assert.ok(error instanceof JobLockError);
        assert.match(
          error.message,
          new RegExp(
            `^job job-20261125-010000-aaaaaa is running \\(pid ${process.pid}, since .+\\): one job runs at a time; follow it with grape jobs show job-20261125-010000-aaaaaa or stop it with grape jobs cancel job-20261125-010000-aaaaaa$`,
          ),
        );
        return true;
      },
    );
    releaseJobLock(dataDir, 'job-20261125-010001-bbbbbb'); // not its lock: stays
    assert.equal(readJobLock(dataDir)?.jobId, 'job-20261125-010000-aaaaaa');
    lock.release();
    assert.equal(existsSync(lockPath(dataDir)), false);
    acquireJobLock(dataDir, 'job-20261125-010001-bbbbbb').release();
  });

  it("takes over the lock of a job whose process is gone, and hands a lock to the job's process", () => {
    const dataDir = tempDir('jobs-lock');
    const gone = deadPid();
    writeLock(dataDir, { jobId: 'job-old', pid: gone, host: hostname(), since: '2026-11-25T00:00:00.000Z' });
    const stale: LockOwner[] = [];
    const lock = acquireJobLock(dataDir, 'job-new', { onStale: (o) => stale.push(o) });
    assert.deepEqual(
      stale.map((o) => [o.jobId, o.pid]),
      [['job-old', gone]],
    );
    lock.transfer(gone); // the job's process, which then dies too
    assert.equal(readJobLock(dataDir)?.pid, gone);
    acquireJobLock(dataDir, 'job-third').release();

    // A lock file left half-written long ago is junk; a fresh one may be being written.
    mkdirSync(join(dataDir, 'jobs'), { recursive: true });
    writeFileSync(lockPath(dataDir), '');
    assert.throws(() => acquireJobLock(dataDir, 'job-x'), JobLockError);
    utimesSync(lockPath(dataDir), new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    acquireJobLock(dataDir, 'job-x').release();
  });

  it("respects another host's lock, saying how to clear it", () => {
    const dataDir = tempDir('jobs-lock');
    writeLock(dataDir, { jobId: 'job-remote', pid: deadPid(), host: 'gpu-ws', since: 'then' });
    assert.throws(
      () => acquireJobLock(dataDir, 'job-here'),
      new RegExp(
        `^JobLockError: job job-remote is running \\(pid \\d+ on gpu-ws; if that machine is gone, remove ${lockPath(dataDir)}, since then\\)`,
      ),
    );
  });

  it('refuses a second between-session job while one runs; the session is closed all the same', () => {
    const { dataDir, sessionId } = sessionDataDir('jobs-lock');
    const first = startBetweenSessionJob(dataDir, { sessionId }, () => process.pid);
    assert.equal(first.closed, true);
    assert.equal(readJobLock(dataDir)?.jobId, first.job.id);
    assert.throws(
      () => startBetweenSessionJob(dataDir, { sessionId }, () => process.pid),
      new RegExp(`job ${first.job.id} is running`),
    );
    assert.equal(new JobStore(dataDir).list().length, 1, 'the refused job left nothing');
    // Its process gone (a crash): the job reads as failed, and its lock is taken over by the next one.
    const gone = deadPid();
    writeLock(dataDir, { ...readJobLock(dataDir)!, pid: gone });
    new JobStore(dataDir).update(first.job.id, (j) => (j.pid = gone));
    const crashed = observedJob(new JobStore(dataDir).get(first.job.id));
    assert.equal(crashed.status, 'failed');
    assert.match(crashed.error!, new RegExp(`^the job's process \\(pid ${gone}\\) ended without finishing`));
    const second = startBetweenSessionJob(dataDir, { sessionId }, () => process.pid);
    assert.equal(second.closed, false);
    assert.match(
      new JobStore(dataDir).logTail(second.job.id, 5).join('\n'),
      new RegExp(`took over the lock of job ${first.job.id}`),
    );
    releaseJobLock(dataDir, second.job.id);
  });

  it('refuses a session without episodes and bad jobs.yaml before starting anything', () => {
    const dataDir = tempDir('jobs-lock');
    const index = EpisodeIndex.open(dataDir);
    const empty = index.startSession();
    index.close();
    assert.throws(
      () => startBetweenSessionJob(dataDir, {}, () => process.pid),
      new RegExp(`^Error: session ${empty.id} has no episodes: nothing to score or train on$`),
    );
    assert.throws(
      () => startBetweenSessionJob(dataDir, {}, () => process.pid),
      /no open session in .*: name one with --session/,
    );
    writeFileSync(
      join(dataDir, 'jobs.yaml'),
      'train:\n  epochs: many\n  speed: 3\npairs: { min_margin: -1 }\n',
    );
    assert.throws(
      () => resolveJobOptions(dataDir),
      /jobs\.yaml: not a valid job configuration: pairs\.min_margin must be >= 0; train must NOT have additional properties \(speed\); train\.epochs must be integer/,
    );
    writeFileSync(join(dataDir, 'jobs.yaml'), 'train: { epochs: 0 }\n');
    assert.throws(
      () => resolveJobOptions(dataDir),
      /jobs\.yaml: train: epochs must be an integer ≥ 1, got 0/,
    );
    writeFileSync(
      join(dataDir, 'jobs.yaml'),
      'auto_promote: true\ntrain: { objective: tpo+nll, epochs: 2 }\npairs: { m: 2 }\n',
    );
    const o = resolveJobOptions(dataDir, { device: 'cpu', command: 'run {job}' });
    assert.deepEqual(
      [o.autoPromote, o.train.objective, o.train.epochs, o.pairing.perSide, o.device, o.command, o.objective],
      [true, 'tpo+nll', 2, 2, 'cpu', 'run {job}', 'task'],
    );
    assert.equal(existsSync(join(dataDir, 'jobs')), false, 'no job was recorded');
    // The same data dir mounted elsewhere (the workstation): paths inside it follow it.
    const moved = optionsIn({ ...o, signals: '/etc/grape/signals.yaml' }, '/mnt/grape');
    assert.deepEqual(
      [moved.dataDir, moved.modelDir, moved.signals],
      ['/mnt/grape', '/mnt/grape/models/grape-default', '/etc/grape/signals.yaml'],
    );
  });
});

describe('job command', () => {
  it('substitutes {job}, {data_dir} and {session} as shell words, and refuses unknown placeholders', () => {
    assert.equal(
      substituteCommand("ssh gpu 'grape jobs run {job} --here' --dir {data_dir} {session}", {
        job: 'job-1',
        data_dir: "/data/it's here",
        session: 'ses-1',
      }),
      "ssh gpu 'grape jobs run job-1 --here' --dir '/data/it'\\''s here' ses-1",
    );
    assert.throws(
      () => substituteCommand('run {jobid}', { job: 'j', data_dir: 'd', session: 's' }),
      /has an unknown placeholder \{jobid\} \(known: \{job\}, \{data_dir\}, \{session\}\)/,
    );
  });
});
