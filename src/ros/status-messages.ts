// The node core's status as grape/msg/EpisodeStatus (~/status) and as a diagnostic_msgs/msg/DiagnosticArray
// (/diagnostics, for rqt_robot_monitor and the diagnostic aggregator).
import type { Header } from '../messages/ros-messages.js';
import type { NodeStatus } from '../node/node-interfaces.js';

/** grape/msg/EpisodeStatus */
export interface EpisodeStatusMessage {
  header: Header;
  state: string;
  episode_id: string;
  task_id: string;
  instruction: string;
  policy_id: string;
  step: number;
  dry_run: boolean;
  stale_inputs: string[];
  dropped_frames: number;
  overruns: number;
  clamped: string[];
  intervening: boolean;
  message: string;
}

/** diagnostic_msgs/msg/DiagnosticStatus level values. */
export const DiagnosticLevel = { OK: 0, WARN: 1, ERROR: 2, STALE: 3 } as const;

export interface DiagnosticStatusMessage {
  level: number;
  name: string;
  message: string;
  hardware_id: string;
  values: { key: string; value: string }[];
}

/** diagnostic_msgs/msg/DiagnosticArray */
export interface DiagnosticArrayMessage {
  header: Header;
  status: DiagnosticStatusMessage[];
}

export function episodeStatusMessage(status: NodeStatus): EpisodeStatusMessage {
  return {
    header: { stamp: status.stamp, frame_id: '' },
    state: status.state,
    episode_id: status.episodeId,
    task_id: status.taskId,
    instruction: status.instruction,
    policy_id: status.policyId,
    step: status.step,
    dry_run: status.dryRun,
    stale_inputs: [...status.staleInputs],
    dropped_frames: status.droppedFrames,
    overruns: status.overruns,
    clamped: [...status.clamped],
    intervening: status.intervening,
    message: status.message,
  };
}

/** The between-session job the node started last, as it stands. */
export interface JobDiagnostics {
  id: string;
  status: string;
  /** The running step and its progress. */
  step?: string;
  message: string;
  /** The checkpoint it trained, and whether it was promoted. */
  candidate?: string;
  promoted?: boolean;
}

export interface DiagnosticsContext {
  header: Header;
  /** The node's fully qualified name, e.g. /grape_policy. */
  nodeName: string;
  /** A recorder failure that stopped the current episode's bag. */
  recorderError?: string;
  /** The between-session job, once the node started one (a second status, "…: training job"). */
  job?: JobDiagnostics;
}

/** WARN for a job that failed or was canceled, OK otherwise. */
function jobStatus(job: JobDiagnostics, nodeName: string): DiagnosticStatusMessage {
  const failed = job.status === 'failed' || job.status === 'canceled';
  const values: [string, string][] = [
    ['job_id', job.id],
    ['status', job.status],
    ['step', job.step ?? ''],
    ['candidate', job.candidate ?? ''],
    ['promoted', job.candidate ? String(job.promoted ?? false) : ''],
  ];
  return {
    level: failed ? DiagnosticLevel.WARN : DiagnosticLevel.OK,
    name: `${nodeName}: training job`,
    message: job.message,
    hardware_id: '',
    values: values.map(([key, value]) => ({ key, value })),
  };
}

/**
 * ERROR while the recorder cannot write, WARN while the robot is held (stale input, bad input) or the
 * policy falls behind the control rate (overruns) or the limits clamp its actions, OK otherwise.
 */
export function diagnosticsOf(status: NodeStatus, context: DiagnosticsContext): DiagnosticArrayMessage {
  const warnings = [
    status.state === 'holding' ? status.message : '',
    status.overruns > 0 ? `${status.overruns} control ticks overran` : '',
    status.clamped.length > 0 ? `clamped: ${status.clamped.join('; ')}` : '',
  ].filter(Boolean);
  const [level, message] = context.recorderError
    ? [DiagnosticLevel.ERROR, context.recorderError]
    : warnings.length > 0
      ? [DiagnosticLevel.WARN, warnings.join('; ')]
      : [DiagnosticLevel.OK, status.message];
  const values: [string, string | number | boolean][] = [
    ['state', status.state],
    ['episode_id', status.episodeId],
    ['task_id', status.taskId],
    ['policy_id', status.policyId],
    ['step', status.step],
    ['dry_run', status.dryRun],
    ['stale_inputs', status.staleInputs.join(', ')],
    ['dropped_frames', status.droppedFrames],
    ['overruns', status.overruns],
    ['intervening', status.intervening],
  ];
  const nodeName = context.nodeName.replace(/^\//, '');
  return {
    header: context.header,
    status: [
      {
        level,
        name: `${nodeName}: policy`,
        message,
        hardware_id: '',
        values: values.map(([key, value]) => ({ key, value: String(value) })),
      },
      ...(context.job ? [jobStatus(context.job, nodeName)] : []),
    ],
  };
}
