// How grape jobs and grape session end print a job: one line per job in lists, its steps with
// progress, the candidate and what to do with it, and the end of its log.
import type { JobRecord, JobStep } from '../../jobs/job-store.js';
import { printPairs, printTable } from '../output.js';

export function progressText(step: JobStep): string {
  const p = step.progress;
  if (!p) return '';
  return `${p.done}/${p.total} ${p.unit}`;
}

/** The running step and its progress, or how the job ended. */
export function stateText(job: JobRecord): string {
  const running = job.steps.find((s) => s.status === 'running');
  if (running) return `${running.name}${running.progress ? ` ${progressText(running)}` : ''}`;
  if (job.status === 'failed') return job.error ?? 'failed';
  return job.message ?? '';
}

export function printJobList(jobs: readonly JobRecord[]): void {
  printTable(
    ['job', 'status', 'session', 'now', 'candidate', 'created'],
    jobs.map((j) => [
      j.id,
      j.status,
      j.sessionId ?? '',
      j.status === 'running' || j.status === 'queued' ? stateText(j) : '',
      j.candidate ? `${j.candidate.adapterId}${j.candidate.promoted ? ' (promoted)' : ''}` : '',
      j.createdAt.slice(0, 19),
    ]),
  );
}

interface JobOptionsView {
  modelDir?: string;
  objective?: string;
  device?: string;
  autoPromote?: boolean;
  command?: string;
  train?: { objective?: string; epochs?: number; lr?: number; beta?: number };
  pairing?: { perSide?: number; minMargin?: number };
}

export function printJob(job: JobRecord, logTail: readonly string[], logPath: string): void {
  const o = job.options as JobOptionsView;
  const rows: [string, string][] = [
    ['status', job.status + (job.status === 'failed' && job.error ? `: ${job.error}` : '')],
    ['work', `${job.kind}: ${job.title}`],
    ['created', job.createdAt],
  ];
  if (job.startedAt) rows.push(['started', job.startedAt]);
  if (job.endedAt) rows.push(['ended', job.endedAt]);
  if (job.pid !== undefined) rows.push(['process', `pid ${job.pid} on ${job.host ?? '?'}`]);
  if (o.command) rows.push(['command', o.command]);
  if (o.modelDir) rows.push(['model', o.modelDir]);
  rows.push([
    'settings',
    [
      o.objective ? `GCPG objective ${o.objective}` : '',
      o.pairing ? `m ${o.pairing.perSide}, min margin ${o.pairing.minMargin}` : '',
      o.train ? `${o.train.objective} (${o.train.epochs} epochs, lr ${o.train.lr}, β ${o.train.beta})` : '',
      o.device ? `device ${o.device}` : '',
      `auto-promote ${o.autoPromote ? 'yes' : 'no'}`,
    ]
      .filter(Boolean)
      .join('; '),
  ]);
  if (job.candidate) {
    const c = job.candidate;
    rows.push(['candidate', `${c.checkpointId} (from ${c.parentId}; run ${c.runId})`]);
    rows.push(['promoted', c.promoted ? 'yes' : `no: grape policy promote ${c.adapterId}`]);
  }
  if (job.message) rows.push(['result', job.message]);
  printPairs(`job ${job.id}`, rows);
  process.stdout.write('\n');
  printTable(
    ['step', 'status', 'progress', 'result'],
    job.steps.map((s) => [s.name, s.status, progressText(s), s.error ?? s.summary ?? '']),
  );
  process.stdout.write(`\nlog: ${logPath}${logTail.length ? ` (last ${logTail.length} lines)` : ''}\n`);
  for (const line of logTail) process.stdout.write(`  ${line}\n`);
}

/** One line on stderr per change of the running step (progress on a TTY), for --wait. */
export function progressPrinter(): (job: JobRecord) => void {
  let lastStep = '';
  return (job) => {
    const running = job.steps.find((s) => s.status === 'running');
    const line = `${job.id}: ${running ? `${running.name} ${progressText(running)}`.trimEnd() : job.status}`;
    if (process.stderr.isTTY) {
      process.stderr.write(`\r${line.padEnd(70)}`);
      if (!running) process.stderr.write('\n');
    } else if ((running?.name ?? job.status) !== lastStep) {
      process.stderr.write(`${line}\n`);
    }
    lastStep = running?.name ?? job.status;
  };
}
