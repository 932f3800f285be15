// grape session end, grape jobs [list|show|cancel] through the real CLI, with the job in a real
// background process running a configured command (the GPU-workstation path): its output in the
// job's log, its exit code deciding the job, --wait following it, cancel stopping it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { readJobLock } from '../src/jobs/job-lock.js';
import { cancelJob, startBetweenSessionJob } from '../src/jobs/job-runner.js';
import { JobStore, processAlive, type JobRecord } from '../src/jobs/job-store.js';
import { runCli } from './helpers/cli.js';
import { waitFor } from './helpers/ros-node-harness.js';
import { sessionDataDir } from './helpers/job-fixtures.js';

describe('grape session end and grape jobs', () => {
  it('runs the job in the background through the configured command, and shows it', async () => {
    const { dataDir, sessionId } = sessionDataDir('jobs-cli');
    const end = runCli([
      'session',
      'end',
      '--data-dir',
      dataDir,
      '--command',
      'echo remote {job} {session}; exit 3',
      '--wait',
      '--json',
    ]);
    assert.equal(end.status, 1, end.stderr);
    const out = JSON.parse(end.stdout) as { session: { id: string }; closed: boolean; job: JobRecord };
    assert.equal(out.session.id, sessionId);
    assert.equal(out.closed, true);
    const job = out.job;
    assert.equal(job.status, 'failed');
    assert.equal(job.error, 'command: exited with code 3 (see the log)');
    assert.deepEqual(job.steps[0], { ...job.steps[0], name: 'command', status: 'failed', error: 'exit 3' });
    const log = new JobStore(dataDir).logTail(job.id, 50).join('\n');
    assert.match(log, new RegExp(`\\| remote ${job.id} ${sessionId}`));
    assert.equal(readJobLock(dataDir), undefined, 'the lock is released');

    const list = runCli(['jobs', '--data-dir', dataDir]);
    assert.equal(list.status, 0, list.stderr);
    assert.match(list.stdout, new RegExp(`^${job.id} +failed +${sessionId} +\\d{4}-`, 'm'));
    const show = runCli(['jobs', 'show', job.id, '--data-dir', dataDir]);
    assert.equal(show.status, 0, show.stderr);
    assert.match(show.stdout, /status +failed: command: exited with code 3 \(see the log\)/);
    assert.match(show.stdout, /command +echo remote \{job\} \{session\}; exit 3/);
    assert.match(show.stdout, /^command +failed +exit 3$/m);
    assert.match(show.stdout, new RegExp(`\\| remote ${job.id}`));
    await assert.rejects(cancelJob(dataDir, job.id), new RegExp(`^Error: job ${job.id} has already failed$`));
  });

  it('cancels a running job, stopping what it started', async () => {
    const { dataDir } = sessionDataDir('jobs-cli');
    // Started as grape session end starts it: `grape jobs run <id>` in the background.
    const { job } = startBetweenSessionJob(dataDir, { overrides: { command: 'sleep 60' } });
    const store = new JobStore(dataDir);
    await waitFor(() => store.get(job.id).steps[0]?.status === 'running', 'the command to start', 60_000);
    const canceled = await cancelJob(dataDir, job.id);
    assert.equal(canceled.status, 'canceled');
    assert.equal(canceled.message, 'canceled (SIGTERM)', 'recorded by the job process itself');
    await waitFor(() => !processAlive(job.pid!), 'the job process to end');
    const after = store.get(job.id);
    assert.equal(after.status, 'canceled');
    assert.equal(after.steps[0]?.error, 'canceled');
    assert.equal(readJobLock(dataDir), undefined);
  });
});
