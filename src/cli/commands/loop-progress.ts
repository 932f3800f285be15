// Progress of a GRAPE loop on stderr: a bar per stage that runs episodes or trains, and one line per
// finished (or, resuming, already finished) stage with what it did and how long it took.
import type { SingleBar } from 'cli-progress';

import type { LoopEvents, StageEvent } from '../../app/grape-loop.js';
import { progressBar } from '../progress.js';

const title = (e: StageEvent) => `round ${e.round} ${e.stage}`;

export function loopProgress(): LoopEvents & { stop: () => void } {
  let bar: SingleBar | undefined;
  let started = performance.now();
  const stopBar = () => {
    bar?.stop();
    bar = undefined;
  };
  const line = (text: string) => {
    stopBar();
    process.stderr.write(`${text}\n`);
  };
  return {
    onStageStart: (e) => {
      stopBar();
      started = performance.now();
      if (e.total === undefined) return;
      bar = progressBar(
        `${title(e).padEnd(18)} [{bar}] {value}/{total} episodes | {task} seed {seed}: {outcome}`,
      );
      bar.start(e.total, e.resumedAt ?? 0, { task: '', seed: '', outcome: '' });
    },
    onEpisode: (e) => {
      bar?.update(e.done, {
        task: e.result.taskId,
        seed: e.result.seed,
        outcome: e.result.success ? 'success' : 'failure',
      });
    },
    onStageEnd: (e) => {
      const seconds = ((performance.now() - started) / 1000).toFixed(0);
      line(
        e.skipped
          ? `${title(e)}: done before (${e.detail})`
          : `${title(e)}: ${e.what}: ${e.detail} [${seconds} s]`,
      );
    },
    training: {
      onRead: (done, total) => {
        if (done === 0 || !bar) {
          stopBar();
          bar = progressBar('reading            [{bar}] {value}/{total} episodes');
          bar.start(total, done);
        } else bar.update(done);
      },
      onStart: (_manifest, run) => {
        stopBar();
        bar = progressBar('training           [{bar}] {value}/{total} steps | loss {loss}');
        bar.start(run.totalSteps, 0, { loss: '-' });
      },
      onStep: (r) => bar?.update(r.step, { loss: r.metrics.loss.toFixed(4) }),
    },
    stop: stopBar,
  };
}
