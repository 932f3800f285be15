// What the ROS policy node needs of the job runner, as a small interface (injected, so the node is
// testable without starting processes), and its implementation: the same between-session job as
// `grape session end`, in the background on this machine or through the configured command.
import type { Objective } from '../gcpg/cost-spec.js';
import { startBetweenSessionJob } from './job-runner.js';
import { JobStore, observedJob, type JobCandidate, type JobStatus } from './job-store.js';

export interface SessionJobRequest {
  dataDir: string;
  /** The node's model package: the job trains its promoted checkpoint. */
  modelDir: string;
  sessionId: string;
  notes: string;
  /** GCPG cost preset. */
  objective: Objective;
  /** Promote the candidate when the job ends well (default: jobs.yaml, else no). */
  autoPromote?: boolean;
}

/** A job as the node reports it. */
export interface SessionJobState {
  jobId: string;
  status: JobStatus;
  /** The step running now, with its progress, e.g. "train 12/40 steps". */
  step?: string;
  message: string;
  candidate?: JobCandidate;
}

export interface SessionJobs {
  /** Starts the between-session job of an ended session; throws when it cannot (another job runs, …). */
  start(request: SessionJobRequest): Promise<{ jobId: string; message: string }>;
  /** The job as it stands now; undefined when it is not found. */
  state(dataDir: string, jobId: string): SessionJobState | undefined;
}

export function jobState(dataDir: string, jobId: string): SessionJobState | undefined {
  const record = new JobStore(dataDir).read(jobId);
  if (!record) return undefined;
  const job = observedJob(record);
  const running = job.steps.find((s) => s.status === 'running');
  const progress = running?.progress
    ? ` ${running.progress.done}/${running.progress.total} ${running.progress.unit}`
    : '';
  return {
    jobId,
    status: job.status,
    ...(running ? { step: `${running.name}${progress}` } : {}),
    message:
      job.message ??
      job.error ??
      (running ? `job ${jobId}: ${running.name}${progress}` : `job ${jobId}: ${job.status}`),
    ...(job.candidate ? { candidate: job.candidate } : {}),
  };
}

/** Between-session jobs of this machine (`grape jobs run` in the background, or the configured command). */
export const localSessionJobs: SessionJobs = {
  start(request) {
    const { job } = startBetweenSessionJob(request.dataDir, {
      sessionId: request.sessionId,
      overrides: {
        modelDir: request.modelDir,
        objective: request.objective,
        ...(request.autoPromote === undefined ? {} : { autoPromote: request.autoPromote }),
        ...(request.notes ? { notes: request.notes } : {}),
      },
    });
    return Promise.resolve({
      jobId: job.id,
      message: `job ${job.id} started: score, pair, train${job.options.autoPromote ? ', promote' : ''} (grape jobs show ${job.id})`,
    });
  },
  state: jobState,
};
