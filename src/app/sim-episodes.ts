// Wiring: a batch of simulator episodes — the policy in control (evaluation, rollouts) or the
// scripted expert (demonstrations) — through one SimRunner, with the policy loaded from a model
// package (the default one, generated on first use, when none is named).
import { EpisodeSeededPolicy } from './episode-seeded-policy.js';
import { loadPolicy } from './load-policy.js';
import { ensureDefaultModel } from './model-location.js';
import { runShardedSimEpisodes } from './sim-episode-shards.js';
import { SimRunner, type SimEpisodeRequest, type SimEpisodeResult } from './sim-runner.js';
import type { SamplingOptions } from '../policy/policy.js';
import type { ExpertOptions } from '../sim/scripted-expert.js';

/** An episode to run; `samplingSeed` seeds a sampled episode's draws (default: the batch's sampling seed). */
export type SimBatchRequest = SimEpisodeRequest & { samplingSeed?: number };

export interface SimBatchOptions {
  dataDir: string;
  /** Model package directory (default: <data-dir>/models/grape-default, built if missing). */
  modelDir?: string;
  adapter?: string;
  device?: string;
  sampling?: Partial<SamplingOptions>;
  dryRun?: boolean;
  /** Who acts: the policy, or the scripted expert (demonstrations). */
  actor: 'policy' | 'expert';
  expert?: ExpertOptions;
  requests: readonly SimBatchRequest[];
  sessionId?: string;
  /** Child processes to run the batch in (default 1: this process). Episodes end out of order. */
  jobs?: number;
  /** Stops the batch between episodes; the episodes run so far are kept and reported. */
  signal?: AbortSignal;
  onEpisode?: (result: SimEpisodeResult, index: number) => void;
}

export interface SimBatchReport {
  policyId: string;
  modelDir: string;
  /** The default model was generated for this run. */
  createdModel: boolean;
  results: SimEpisodeResult[];
}

export interface TaskSummary {
  taskId: string;
  split: string;
  episodes: number;
  successes: number;
  rate: number;
  meanSteps: number;
  meanCollisions: number;
}

export async function runSimEpisodes(options: SimBatchOptions): Promise<SimBatchReport> {
  let modelDir = options.modelDir;
  let createdModel = false;
  if (modelDir === undefined)
    ({ dir: modelDir, created: createdModel } = await ensureDefaultModel(options.dataDir));
  const jobs = options.jobs ?? 1;
  if (!(Number.isInteger(jobs) && jobs >= 1)) throw new Error(`jobs must be a positive integer, got ${jobs}`);
  if (jobs > 1 && options.requests.length > 1)
    return { ...(await runShardedSimEpisodes({ ...options, modelDir, jobs })), createdModel };
  const { policy } = await loadPolicy(modelDir, {
    ...(options.device === undefined ? {} : { device: options.device }),
    ...(options.adapter === undefined ? {} : { adapter: options.adapter }),
    ...(options.sampling === undefined ? {} : { sampling: options.sampling }),
  });
  const seeded = new EpisodeSeededPolicy(policy);
  let runner: SimRunner | undefined;
  try {
    runner = await SimRunner.open({
      dataDir: options.dataDir,
      policy: seeded,
      ...(options.dryRun === undefined ? {} : { dryRun: options.dryRun }),
      ...(options.sessionId === undefined ? {} : { sessionId: options.sessionId }),
    });
    const results: SimEpisodeResult[] = [];
    for (const [i, { samplingSeed, ...request }] of options.requests.entries()) {
      if (options.signal?.aborted) break;
      seeded.seed = samplingSeed ?? policy.sampling.seed;
      const result =
        options.actor === 'expert'
          ? await runner.runExpertEpisode(request, options.expert)
          : await runner.runPolicyEpisode(request);
      results.push(result);
      options.onEpisode?.(result, i);
    }
    return { policyId: policy.id, modelDir, createdModel, results };
  } finally {
    await runner?.close();
    await policy.dispose();
  }
}

/** Success, steps and collisions per (task, split), in the order tasks first appear. */
export function summarizeByTask(results: readonly SimEpisodeResult[]): TaskSummary[] {
  const groups = new Map<string, SimEpisodeResult[]>();
  for (const r of results) {
    const key = `${r.taskId}\u0000${r.split}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()].map((g) => {
    const successes = g.filter((r) => r.success).length;
    return {
      taskId: g[0]!.taskId,
      split: g[0]!.split,
      episodes: g.length,
      successes,
      rate: successes / g.length,
      meanSteps: g.reduce((a, r) => a + r.steps, 0) / g.length,
      meanCollisions: g.reduce((a, r) => a + r.collisions, 0) / g.length,
    };
  });
}

/** Episodes × tasks with consecutive seeds from seedStart. */
export function episodeRequests(
  taskIds: readonly string[],
  episodes: number,
  seedStart: number,
  split: SimEpisodeRequest['split'],
): SimEpisodeRequest[] {
  return taskIds.flatMap((taskId) =>
    Array.from({ length: episodes }, (_, i) => ({ taskId, seed: seedStart + i, split })),
  );
}
