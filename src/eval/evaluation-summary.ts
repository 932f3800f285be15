// What an evaluation says: per task, the success rate with its 95% Wilson interval, the collision
// rate (episodes with at least one collision, also with its interval), mean collisions, steps and
// path length; and an overall row.
//
// The overall row averages the tasks (each task counts the same, however many episodes it ran). Its
// interval is Wilson's at that mean with n = every episode: with equal episodes per task, as
// `grape eval` runs them, that is exactly Wilson on the pooled count. Pooling treats the episodes as
// one Bernoulli population; tasks that differ in difficulty make the true variance of the task mean
// smaller than that (stratification only removes variance), so the interval errs on the wide side,
// and unlike a bootstrap it does not collapse to a point when every episode succeeds or fails.
import type { EvaluationEpisode } from './evaluation-run.js';
import { wilsonInterval, type SuccessInterval } from './success-interval.js';

export interface RateFigures {
  successRate: number;
  successInterval: SuccessInterval;
  /** Share of episodes with at least one collision. */
  collisionRate: number;
  collisionInterval: SuccessInterval;
  meanCollisions: number;
  meanSteps: number;
  /** m */
  meanPathLength: number;
}

export interface TaskEvaluation extends RateFigures {
  taskId: string;
  episodes: number;
  successes: number;
  /** Episodes with at least one collision. */
  collisionEpisodes: number;
}

export interface OverallEvaluation extends RateFigures {
  tasks: number;
  episodes: number;
}

export interface EvaluationSummary {
  tasks: TaskEvaluation[];
  /** Means over tasks. */
  overall: OverallEvaluation;
}

/** How the intervals are computed, in words, for tables and JSON. */
export const INTERVAL_METHOD = {
  task: '95% Wilson score interval over the task’s episodes',
  overall: 'mean over tasks; 95% Wilson score interval at that mean with n = all episodes (pooled count)',
} as const;

const mean = (values: readonly number[]) => values.reduce((a, v) => a + v, 0) / values.length;

function summarizeTask(taskId: string, episodes: readonly EvaluationEpisode[]): TaskEvaluation {
  const n = episodes.length;
  const successes = episodes.filter((e) => e.success).length;
  const collisionEpisodes = episodes.filter((e) => e.collisions > 0).length;
  return {
    taskId,
    episodes: n,
    successes,
    successRate: successes / n,
    successInterval: wilsonInterval(successes / n, n),
    collisionEpisodes,
    collisionRate: collisionEpisodes / n,
    collisionInterval: wilsonInterval(collisionEpisodes / n, n),
    meanCollisions: mean(episodes.map((e) => e.collisions)),
    meanSteps: mean(episodes.map((e) => e.steps)),
    meanPathLength: mean(episodes.map((e) => e.pathLength)),
  };
}

/** Tasks in the order they first appear. */
export function summarizeEvaluation(episodes: readonly EvaluationEpisode[]): EvaluationSummary {
  if (episodes.length === 0) throw new Error('an evaluation with no episodes has nothing to summarize');
  const byTask = new Map<string, EvaluationEpisode[]>();
  for (const e of episodes) byTask.set(e.taskId, [...(byTask.get(e.taskId) ?? []), e]);
  const tasks = [...byTask].map(([taskId, es]) => summarizeTask(taskId, es));
  const total = episodes.length;
  const successRate = mean(tasks.map((t) => t.successRate));
  const collisionRate = mean(tasks.map((t) => t.collisionRate));
  return {
    tasks,
    overall: {
      tasks: tasks.length,
      episodes: total,
      successRate,
      successInterval: wilsonInterval(successRate, total),
      collisionRate,
      collisionInterval: wilsonInterval(collisionRate, total),
      meanCollisions: mean(tasks.map((t) => t.meanCollisions)),
      meanSteps: mean(tasks.map((t) => t.meanSteps)),
      meanPathLength: mean(tasks.map((t) => t.meanPathLength)),
    },
  };
}
