// A batch of simulator episodes over several child processes: the simulator and the CPU head each
// keep one core busy, so one process per core multiplies throughput. Requests are dealt round-robin,
// so every shard gets a mix of tasks and seeds; each shard records its episodes into the same data
// dir (and session) as they end and reports them here, where they come out under their batch index.
import { fork, type ChildProcess } from 'node:child_process';
import { dirname, extname, join } from 'node:path';

import type { SimBatchOptions, SimBatchReport } from './sim-episodes.js';
import type { SimEpisodeResult } from './sim-runner.js';

/** What a shard runs: the batch's options, its own requests, no callbacks. */
export type ShardOptions = Omit<SimBatchOptions, 'onEpisode' | 'jobs' | 'signal'> & { modelDir: string };

/** Parent → shard. */
export type ShardCommand = { kind: 'run'; options: ShardOptions } | { kind: 'stop' };

/** Shard → parent. */
export type ShardMessage =
  | { kind: 'episode'; index: number; result: SimEpisodeResult }
  | { kind: 'done'; policyId: string }
  | { kind: 'error'; message: string };

const WORKER = join(dirname(import.meta.filename), `sim-episode-worker${extname(import.meta.filename)}`);

/** The node flags a shard needs: the parent's loaders (tsx in development), not its test or debug flags. */
function loaderFlags(): string[] {
  const flags: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (/^--(import|require|loader|experimental-loader)$/.test(a) && i + 1 < argv.length)
      flags.push(a, argv[++i]!);
    else if (/^--(import|require|loader|experimental-loader)=/.test(a)) flags.push(a);
  }
  return flags;
}

export async function runShardedSimEpisodes(
  options: SimBatchOptions & { modelDir: string; jobs: number },
): Promise<Omit<SimBatchReport, 'createdModel'>> {
  const { onEpisode, jobs, signal, requests, ...shared } = options;
  const shards = Array.from({ length: Math.min(jobs, requests.length) }, (_, k) =>
    requests.flatMap((r, i) => (i % jobs === k ? [{ request: r, index: i }] : [])),
  );
  const results: SimEpisodeResult[] = new Array<SimEpisodeResult>(requests.length);
  const children: ChildProcess[] = [];
  let policyId = '';
  let failure: Error | undefined;
  const stopAll = (error: Error) => {
    failure ??= error;
    // A shard already on its way out needs no stop: a failed send is no error.
    for (const c of children)
      if (c.connected) c.send({ kind: 'stop' } satisfies ShardCommand, () => undefined);
  };
  const onAbort = () => {
    stopAll(new Error('the batch was stopped'));
  };
  signal?.addEventListener('abort', onAbort);
  try {
    await Promise.all(
      shards.map(
        (shard, k) =>
          new Promise<void>((resolve) => {
            const child = fork(WORKER, [], {
              execArgv: loaderFlags(),
              stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
            });
            children.push(child);
            let done = false;
            child.on('message', (m: ShardMessage) => {
              if (m.kind === 'episode') {
                const index = shard[m.index]!.index;
                results[index] = m.result;
                onEpisode?.(m.result, index);
              } else if (m.kind === 'done') {
                done = true;
                policyId = m.policyId;
              } else stopAll(new Error(`shard ${k + 1} of ${shards.length}: ${m.message}`));
            });
            child.on('error', (error) => {
              stopAll(new Error(`shard ${k + 1} of ${shards.length}: ${error.message}`));
            });
            child.on('exit', (code, sig) => {
              if (!done)
                stopAll(new Error(`shard ${k + 1} of ${shards.length} exited with ${sig ?? `code ${code}`}`));
              resolve();
            });
            child.send({
              kind: 'run',
              options: { ...shared, requests: shard.map((s) => s.request) },
            } satisfies ShardCommand);
          }),
      ),
    );
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  if (failure) throw failure;
  return { policyId, modelDir: options.modelDir, results };
}
