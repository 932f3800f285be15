// One shard of a sharded simulator batch (sim-episode-shards.ts), as a child process: runs the
// requests it is sent, reports each episode as it is recorded, and stops between episodes when told.
import { runSimEpisodes } from './sim-episodes.js';
import type { ShardCommand, ShardMessage } from './sim-episode-shards.js';

const stop = new AbortController();
let finished = false;
const send = (m: ShardMessage) =>
  new Promise<void>((resolve) =>
    process.send!(m, () => {
      resolve();
    }),
  );

// The parent is gone (killed, or it crashed): stop at once rather than record episodes nobody
// collects. An episode cut short is recovered like any crash (grape recover).
process.on('disconnect', () => {
  if (!finished) process.exit(1);
});

process.on('message', (command: ShardCommand) => {
  if (command.kind === 'stop') {
    stop.abort();
    return;
  }
  void (async () => {
    try {
      const report = await runSimEpisodes({
        ...command.options,
        signal: stop.signal,
        onEpisode: (result, index) => void send({ kind: 'episode', index, result }),
      });
      await send({ kind: 'done', policyId: report.policyId });
    } catch (error) {
      await send({ kind: 'error', message: (error as Error).message });
    }
    finished = true;
    process.disconnect();
  })();
});
