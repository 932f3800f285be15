// grape_policy's services: requests in, lifecycle calls on the node, responses out. A refused or
// failed call answers success=false with the reason; it never takes the node down.
//   ~/start_episode  grape/srv/StartEpisode
//   ~/end_episode    grape/srv/EndEpisode
//   ~/abort          std_srvs/srv/Trigger
//   ~/end_session    grape/srv/EndSession
//   ~/reload_policy  grape/srv/ReloadPolicy
import type { Node, ServiceResponse } from 'rclnodejs';

import type { Episode, Outcome } from '../episode/episode-index.js';

/** grape/srv/StartEpisode request (int64 arrives as a bigint from rclnodejs). */
export interface StartEpisodeServiceRequest {
  task_id: string;
  instruction: string;
  operator: string;
  seed: bigint | number;
}

/** grape/srv/EndEpisode request */
export interface EndEpisodeServiceRequest {
  outcome: string;
  notes: string;
}

/** grape/srv/EndSession request */
export interface EndSessionServiceRequest {
  notes: string;
  train: boolean;
}

/** grape/srv/ReloadPolicy request */
export interface ReloadPolicyServiceRequest {
  checkpoint_id: string;
}

interface EpisodeResponse {
  success: boolean;
  message: string;
  episode_id: string;
}

/** std_srvs/srv/Trigger response */
interface TriggerResponse {
  success: boolean;
  message: string;
}

interface EndSessionResponse {
  success: boolean;
  message: string;
  session_id: string;
  episodes: number;
  job_id: string;
}

interface ReloadPolicyResponse {
  success: boolean;
  message: string;
  policy_id: string;
}

export interface SessionEnd {
  sessionId: string;
  episodes: number;
  /** The background job started for the session; empty when none was. */
  jobId: string;
  message: string;
}

/** What the services drive: the ROS policy node's episode and session lifecycle. */
export interface NodeLifecycle {
  startEpisode(request: {
    taskId: string;
    instruction: string;
    operator: string;
    seed?: number;
  }): Promise<Episode>;
  endEpisode(outcome: Outcome, notes: string): Promise<Episode>;
  endSession(request: { notes: string; train: boolean }): Promise<SessionEnd>;
  /** Returns the id of the policy now running. */
  reloadPolicy(checkpointId: string): Promise<string>;
}

const OUTCOMES: readonly Outcome[] = ['success', 'failure', 'aborted'];

interface ServiceLogger {
  warn(message: string): void;
}

class ServiceRequestError extends Error {
  override readonly name = 'ServiceRequestError';
}

function seedOf(seed: bigint | number): number | undefined {
  const n = Number(seed);
  if (n < 0) return undefined;
  if (!Number.isSafeInteger(n)) throw new ServiceRequestError(`seed ${seed} is beyond 2^53`);
  return n;
}

function outcomeOf(outcome: string): Outcome {
  if (!(OUTCOMES as readonly string[]).includes(outcome))
    throw new ServiceRequestError(`outcome must be one of ${OUTCOMES.join(', ')}, got '${outcome}'`);
  return outcome as Outcome;
}

function dryRunNote(dryRun: boolean): string {
  return dryRun ? ' (dry run: no action is published)' : '';
}

export function advertiseEpisodeServices(
  node: Node,
  lifecycle: NodeLifecycle,
  options: { dryRun: boolean; logger: ServiceLogger },
): void {
  // `handle` takes the request shape of `type` (rclnodejs delivers it as a plain object).
  const serve = <Response extends TriggerResponse>(
    type: string,
    name: string,
    handle: (request: never) => Promise<Response>,
    refused: (message: string) => Response,
  ) => {
    node.createService(type, name, (request: object, response: ServiceResponse<string>) => {
      handle(request as never).then(
        (answer) => {
          response.send(answer);
        },
        (error: unknown) => {
          const message = (error as Error).message;
          options.logger.warn(`${node.resolveServiceName(name)} refused: ${message}`);
          response.send(refused(message));
        },
      );
    });
  };

  serve<EpisodeResponse>(
    'grape/srv/StartEpisode',
    '~/start_episode',
    async (r: StartEpisodeServiceRequest) => {
      const seed = seedOf(r.seed);
      const episode = await lifecycle.startEpisode({
        taskId: r.task_id,
        instruction: r.instruction,
        operator: r.operator,
        ...(seed === undefined ? {} : { seed }),
      });
      return {
        success: true,
        message: `episode ${episode.id} started: ${episode.instruction}${dryRunNote(options.dryRun)}`,
        episode_id: episode.id,
      };
    },
    (message) => ({ success: false, message, episode_id: '' }),
  );

  serve<EpisodeResponse>(
    'grape/srv/EndEpisode',
    '~/end_episode',
    async (r: EndEpisodeServiceRequest) => {
      const episode = await lifecycle.endEpisode(outcomeOf(r.outcome), r.notes);
      return {
        success: true,
        message: `episode ${episode.id} ended: ${episode.outcome ?? r.outcome}, ${episode.stepCount} steps`,
        episode_id: episode.id,
      };
    },
    (message) => ({ success: false, message, episode_id: '' }),
  );

  serve<TriggerResponse>(
    'std_srvs/srv/Trigger',
    '~/abort',
    async () => {
      const episode = await lifecycle.endEpisode('aborted', 'aborted by the abort service');
      return { success: true, message: `episode ${episode.id} aborted after ${episode.stepCount} steps` };
    },
    (message) => ({ success: false, message }),
  );

  serve<EndSessionResponse>(
    'grape/srv/EndSession',
    '~/end_session',
    async (r: EndSessionServiceRequest) => {
      const end = await lifecycle.endSession({ notes: r.notes, train: r.train });
      return {
        success: true,
        message: end.message,
        session_id: end.sessionId,
        episodes: end.episodes,
        job_id: end.jobId,
      };
    },
    (message) => ({ success: false, message, session_id: '', episodes: 0, job_id: '' }),
  );

  serve<ReloadPolicyResponse>(
    'grape/srv/ReloadPolicy',
    '~/reload_policy',
    async (r: ReloadPolicyServiceRequest) => {
      const policyId = await lifecycle.reloadPolicy(r.checkpoint_id);
      return { success: true, message: `running ${policyId}`, policy_id: policyId };
    },
    (message) => ({ success: false, message, policy_id: '' }),
  );
}
