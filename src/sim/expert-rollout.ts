// Runs the scripted expert on the simulator: one episode (with a hook per step, for whoever records the
// demonstrations) or many (the per-task success table).
import { ScriptedExpert, type ExpertOptions } from './scripted-expert.js';
import type { EpisodeInfo, Observation, SimEnvironment, StepResult } from './sim-environment.js';
import type { SplitName } from './splits.js';

export interface ExpertStep {
  /** what the camera and joints showed before the action (only when observing) */
  observation: Observation | undefined;
  action: number[];
  result: StepResult;
}

export interface ExpertEpisodeResult {
  taskId: string;
  seed: number;
  split: SplitName;
  instruction: string;
  success: boolean;
  steps: number;
  pathLength: number;
  /** control steps in which the robot touched something other than the target */
  stepsWithCollisions: number;
}

export interface ExpertRunOptions {
  expert?: ExpertOptions;
  /** render an observation before every action (what a recorder needs); off, the run is much faster */
  observe?: boolean;
  /** called after the reset, before the first step (a recorder opens its episode here) */
  onStart?: (info: EpisodeInfo) => void;
  onStep?: (step: ExpertStep) => void;
}

export function runExpertEpisode(
  env: SimEnvironment,
  taskId: string,
  seed: number,
  split: SplitName = 'in-domain',
  options: ExpertRunOptions = {},
): ExpertEpisodeResult {
  const info = env.reset(taskId, seed, split);
  options.onStart?.(info);
  const expert = new ScriptedExpert(env.taskEpisode, options.expert);
  let result: StepResult | undefined;
  let stepsWithCollisions = 0;
  do {
    const observation = options.observe ? env.observe() : undefined;
    const action = expert.act(env.signals());
    result = env.step(expert.disturb(action));
    if (result.signals.contacts.some((c) => !c.target)) stepsWithCollisions++;
    options.onStep?.({ observation, action, result });
  } while (!result.done);
  return {
    taskId: info.taskId,
    seed,
    split,
    instruction: info.instruction,
    success: result.success,
    steps: result.signals.step,
    pathLength: result.signals.pathLength,
    stepsWithCollisions,
  };
}

export interface ExpertSuccess {
  taskId: string;
  split: SplitName;
  episodes: number;
  successes: number;
  rate: number;
  meanSteps: number;
  /** episodes in which the robot touched something other than the target */
  episodesWithCollisions: number;
}

/** The expert's success rate per task over `seeds`. */
export function measureExpertSuccess(
  env: SimEnvironment,
  taskIds: readonly string[],
  seeds: readonly number[],
  split: SplitName = 'in-domain',
  onEpisode?: (result: ExpertEpisodeResult) => void,
): ExpertSuccess[] {
  return taskIds.map((taskId) => {
    const results = seeds.map((seed) => {
      const r = runExpertEpisode(env, taskId, seed, split);
      onEpisode?.(r);
      return r;
    });
    const successes = results.filter((r) => r.success).length;
    return {
      taskId,
      split,
      episodes: results.length,
      successes,
      rate: successes / results.length,
      meanSteps: results.reduce((s, r) => s + r.steps, 0) / results.length,
      episodesWithCollisions: results.filter((r) => r.stepsWithCollisions > 0).length,
    };
  });
}
