// SIGINT/SIGTERM: a grape_policy process (helpers/ros-node-child.ts: the real process code on the
// fake ROS graph) signalled mid-episode holds the robot, closes the episode as aborted with a
// complete bag, and exits within the 5 s `ros2 launch` allows; a shutdown that hangs still exits.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';

import { BagReader } from '../src/bag/bag-reader.js';
import { EpisodeIndex } from '../src/episode/episode-index.js';
import { onShutdownSignal } from '../src/ros/shutdown-signals.js';
import { defaultModelDir, scratchDir } from './helpers/policy-fixtures.js';

const CHILD = join(import.meta.dirname, 'helpers', 'ros-node-child.ts');

interface Run {
  episodeId: string;
  actions: { twist: { linear: Record<string, number>; angular: Record<string, number> } }[];
  lines: string[];
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** ms from the signal to the exit */
  exitMs: number;
}

/** Runs the node until it has taken `steps` steps of an episode, then sends `signal`. */
async function signalMidEpisode(dataDir: string, signal: NodeJS.Signals, steps = 3): Promise<Run> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir, await defaultModelDir()], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, GRAPE_LOG: 'silent' },
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.once('exit', (code, sig) => {
      resolve([code, sig]);
    }),
  );
  const lines: string[] = [];
  let episodeId = '';
  let signalledAt = 0;
  for await (const line of createInterface({ input: child.stdout })) {
    lines.push(line);
    if (line.startsWith('episode ')) episodeId = line.slice(8);
    const step = /^step (\d+)$/.exec(line);
    if (!signalledAt && episodeId && step && Number(step[1]) >= steps) {
      signalledAt = Date.now();
      child.kill(signal);
    }
  }
  const [code, sig] = await exited;
  assert.ok(signalledAt, `the node never stepped ${steps} times; stderr:\n${stderr}`);
  return {
    episodeId,
    actions: lines
      .filter((l) => l.startsWith('action '))
      .map((l) => JSON.parse(l.slice(7)) as Run['actions'][number]),
    lines,
    stderr,
    code,
    signal: sig,
    exitMs: Date.now() - signalledAt,
  };
}

async function assertAbortedAndComplete(dataDir: string, run: Run, signal: string): Promise<void> {
  const index = EpisodeIndex.open(dataDir);
  const episode = index.episode(run.episodeId)!;
  const dir = index.bagDir(episode);
  index.close();
  assert.deepEqual(
    [episode.outcome, episode.status, episode.notes],
    ['aborted', 'complete', `the node shut down (${signal})`],
  );
  assert.ok(episode.stepCount >= 3, `${episode.stepCount} steps`);
  const bag = await BagReader.open(dir);
  try {
    assert.deepEqual(
      bag.info.files.map((f) => f.damage),
      [undefined],
      'the bag closed with its summary',
    );
    const steps = bag.info.topics.find((t) => t.name === '/grape/step');
    assert.equal(steps?.messageCount, episode.stepCount);
    const events = [];
    for await (const m of bag.decoded<{ kind: string }>({ topics: ['/grape/episode_event'] }))
      events.push(m.message.kind);
    assert.deepEqual([events[0], events.at(-1)], ['start', 'abort']);
  } finally {
    await bag.close();
  }
}

function assertHeld(run: Run): void {
  const zero = { x: 0, y: 0, z: 0 };
  assert.ok(run.actions.length >= 3);
  assert.deepEqual(
    run.actions.at(-1)!.twist,
    { linear: zero, angular: zero },
    'the last command holds the robot',
  );
}

describe('grape_policy process shutdown', () => {
  it('SIGTERM mid-episode: holds, aborts the episode, completes the bag, exits 0 within 5 s', async () => {
    const dataDir = scratchDir('grape-ros-sigterm-');
    const run = await signalMidEpisode(dataDir, 'SIGTERM');
    assert.deepEqual([run.code, run.signal], [0, null], run.stderr);
    assert.ok(run.exitMs < 5000, `exited ${run.exitMs} ms after SIGTERM`);
    assert.match(run.stderr, /\[grape_policy\] SIGTERM: shutting down/);
    assert.ok(
      run.lines.includes('calls init,removeSignalHandlers'),
      "rclnodejs's own SIGINT handler is removed",
    );
    assertHeld(run);
    await assertAbortedAndComplete(dataDir, run, 'SIGTERM');
  });

  it('SIGINT (Ctrl-C, ros2 launch) does the same', async () => {
    const dataDir = scratchDir('grape-ros-sigint-');
    const run = await signalMidEpisode(dataDir, 'SIGINT');
    assert.deepEqual([run.code, run.signal], [0, null], run.stderr);
    assert.ok(run.exitMs < 5000, `exited ${run.exitMs} ms after SIGINT`);
    assertHeld(run);
    await assertAbortedAndComplete(dataDir, run, 'SIGINT');
  });

  it('exits with 1 when the shutdown overruns its deadline, and ignores a second signal meanwhile', async () => {
    const log: string[] = [];
    const exits: number[] = [];
    const remove = onShutdownSignal(() => new Promise<void>(() => undefined), {
      deadlineMs: 50,
      log: (m) => log.push(m),
      exit: (code) => exits.push(code),
    });
    try {
      process.emit('SIGTERM', 'SIGTERM');
      process.emit('SIGINT', 'SIGINT');
      await new Promise((resolve) => setTimeout(resolve, 150));
      assert.deepEqual(exits, [1]);
      assert.deepEqual(log, [
        'SIGTERM: shutting down',
        'SIGINT: already shutting down',
        'shutdown took longer than 50 ms: exiting without finishing it',
      ]);
    } finally {
      remove();
    }
  });

  it('exits with 1 and says why when the shutdown fails', async () => {
    const log: string[] = [];
    const exits: number[] = [];
    const remove = onShutdownSignal(() => Promise.reject(new Error('the disk went away')), {
      log: (m) => log.push(m),
      exit: (code) => exits.push(code),
    });
    try {
      process.emit('SIGTERM', 'SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.deepEqual(exits, [1]);
      assert.equal(log.at(-1), 'shutdown failed: the disk went away');
    } finally {
      remove();
    }
  });
});
