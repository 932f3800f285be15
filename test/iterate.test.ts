// The GRAPE loop on the simulator at the smallest size that runs every stage (one task, two
// demonstrations, two sampled rollouts from one initial state): round 0 trains and promotes SFT,
// round 1 scores exactly its rollouts, pairs them for iteration 1 and trains TPO from the SFT
// checkpoint. A loop cut short after its rollouts, and again in the middle of its training run,
// resumes without recording anything again and goes on with the run from its snapshot. Round 1's
// baselines train from the same parent on the same rollouts; a fork starts from a loop's SFT policy;
// a format-1 state file still reads. And grape demo prints its table (policies × splits with 95%
// intervals), the smoke-test note and the report.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import Database from 'better-sqlite3';

import { forkLoop, resumeLoop, startLoop, type LoopEvents, type StageEvent } from '../src/app/grape-loop.js';
import { defaultLoopParameters, type LoopParameters } from '../src/app/loop-parameters.js';
import { loadLoopState, loopStatePath, saveLoopState } from '../src/app/loop-state.js';
import { ensureDefaultModel } from '../src/app/model-location.js';
import { nativeTrainerFactory } from '../src/app/native-trainer-factory.js';
import { EpisodeIndex } from '../src/episode/episode-index.js';
import { runsDir } from '../src/tpo/run-directory.js';
import { runCli } from './helpers/cli.js';
import { scratchDir } from './helpers/policy-fixtures.js';

process.env.GRAPE_LOG = 'silent';

const cpu = nativeTrainerFactory('cpu');

function tinyLoop(modelDir: string): LoopParameters {
  const p = defaultLoopParameters(modelDir, ['lift']);
  p.rounds = 1;
  p.demos.perTask = 2;
  p.rollouts.seedsPerTask = 1;
  p.rollouts.perSeed = 2;
  // Two failed rollouts can score within GCPG's default margin: pair them anyway.
  p.scoring.pairing.minMargin = 0;
  p.training.sft.epochs = 2;
  p.training.tpo.epochs = 3;
  p.device = 'cpu';
  return p;
}

class Interrupt extends Error {}

/** Records the stages that ran and were skipped; throws where told. */
function watcher(stopAt?: { stage: StageEvent['stage']; step?: number }) {
  const ran: string[] = [];
  const skipped: string[] = [];
  const events: LoopEvents = {
    onStageStart: (e) => {
      if (stopAt && stopAt.step === undefined && e.stage === stopAt.stage) throw new Interrupt(e.stage);
    },
    onStageEnd: (e) => (e.skipped ? skipped : ran).push(`${e.round}:${e.stage}`),
    training: {
      onStep: (r) => {
        if (stopAt?.step !== undefined && r.step === stopAt.step) throw new Interrupt(`step ${r.step}`);
      },
    },
  };
  return { events, ran, skipped };
}

describe('grape iterate (the GRAPE loop)', () => {
  it('runs demos → SFT → rollouts → scores → pairs → TPO, and resumes where it was cut short', async () => {
    const dataDir = scratchDir('grape-iterate-');
    const { dir: modelDir } = await ensureDefaultModel(dataDir);
    const id = 'loop-test';

    // Cut short when round 1 starts scoring: its rollouts are recorded.
    const first = watcher({ stage: 'score' });
    await assert.rejects(
      startLoop(dataDir, tinyLoop(modelDir), { events: first.events, trainerFactory: cpu }, id),
      Interrupt,
    );
    assert.deepEqual(first.ran, ['0:demos', '0:sft', '0:promote', '1:rollouts']);
    const index = EpisodeIndex.open(dataDir);
    const episodesAfterRollouts = index.episodes().map((e) => e.id);
    index.close();
    assert.equal(episodesAfterRollouts.length, 4);

    // Resumed, and cut short again in the middle of the TPO run (after its first epoch's snapshot).
    const second = watcher({ stage: 'tpo', step: 2 });
    await assert.rejects(resumeLoop(dataDir, id, { events: second.events, trainerFactory: cpu }), Interrupt);
    assert.deepEqual(second.skipped, ['0:demos', '0:sft', '0:promote', '1:rollouts']);
    assert.deepEqual(second.ran, ['1:score', '1:pairs']);
    const cut = loadLoopState(dataDir, id);
    assert.equal(cut.rounds[1]!.training!.status, 'running');
    const runDir = join(runsDir(dataDir), `${id}-r1-tpo`);
    assert.ok(existsSync(join(runDir, 'state.safetensors')), 'the run kept a snapshot');

    // Resumed again: nothing recorded, scored or paired again; the run goes on from its snapshot.
    const third = watcher();
    const state = await resumeLoop(dataDir, id, { events: third.events, trainerFactory: cpu });
    assert.deepEqual(third.skipped, ['0:demos', '0:sft', '0:promote', '1:rollouts', '1:score', '1:pairs']);
    assert.deepEqual(third.ran, ['1:tpo', '1:promote']);
    assert.ok(state.finishedAt);
    const log = readFileSync(join(runDir, 'log.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; step?: number });
    assert.deepEqual(
      log.filter((l) => l.type === 'resume').map((l) => l.step),
      [1],
    );

    const [round0, round1] = state.rounds;
    const reopened = EpisodeIndex.open(dataDir);
    try {
      assert.deepEqual(
        reopened.episodes().map((e) => e.id),
        episodesAfterRollouts,
        'no episode was recorded again',
      );
      // Round 0: demonstrations in their own session, SFT from the base head.
      const demos = reopened.episodes({ sessionId: round0!.episodes!.sessionId });
      assert.equal(demos.length, 2);
      assert.ok(demos.every((e) => e.policyCheckpointId === 'expert:scripted'));
      const sft = reopened.checkpoint(round0!.training!.checkpointId!)!;
      assert.equal(sft.objective, 'sft');
      assert.equal(sft.parentId, `${state.model}/base`);
      // Round 1: the SFT policy's rollouts, each with its own sampling seed, scored and paired.
      const rollouts = reopened.episodes({ sessionId: round1!.episodes!.sessionId });
      assert.equal(rollouts.length, 2);
      assert.ok(rollouts.every((e) => e.policyCheckpointId === sft.id && e.seed === 2000));
      const seeds = round1!.episodes!.episodes.map((e) => e.samplingSeed);
      assert.equal(new Set(seeds).size, 2);
      assert.ok(
        demos.every((e) => reopened.scores(e.id).length === 0),
        'only the rollouts are scored',
      );
      const scores = rollouts.map((e) => reopened.scores(e.id));
      assert.ok(scores.every((s) => s.length === 1));
      assert.notEqual(scores[0]![0]!.total, scores[1]![0]!.total, 'two rollouts, not one twice');
      const pairs = reopened.pairs({ iteration: 1 });
      assert.equal(pairs.length, 1);
      assert.deepEqual(
        new Set([pairs[0]!.chosenEpisodeId, pairs[0]!.rejectedEpisodeId]),
        new Set(rollouts.map((e) => e.id)),
      );
      assert.equal(round1!.pairs!.pairs, 1);
      // TPO from the SFT checkpoint, on iteration 1's pairs of the round's session; promoted.
      const tpo = reopened.checkpoint(round1!.training!.checkpointId!)!;
      assert.equal(tpo.objective, 'tpo');
      assert.equal(tpo.parentId, sft.id);
      const manifest = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as {
        selection: { iteration: number; sessionIds: string[] };
      };
      assert.equal(manifest.selection.iteration, 1);
      assert.deepEqual(manifest.selection.sessionIds, [round1!.episodes!.sessionId]);
      assert.equal(reopened.promotions({ model: state.model })[0]!.checkpointId, tpo.id);
    } finally {
      reopened.close();
    }
    assert.ok(existsSync(loopStatePath(dataDir, id)));
  });

  it("trains round 1's baselines beside GRAPE, forks a loop from its SFT policy, reads format-1 state", async () => {
    const dataDir = scratchDir('grape-iterate-');
    const { dir: modelDir } = await ensureDefaultModel(dataDir);
    const id = 'loop-baselines';
    const p = tinyLoop(modelDir);
    p.baselines = ['tpo+nll', 'filtered-sft'];

    // Stopped before the baselines, and one rollout labelled a success (a 2-demonstration policy
    // rarely succeeds), so that success-filtered SFT has a trajectory to train on.
    await assert.rejects(
      startLoop(dataDir, p, { events: watcher({ stage: 'baseline' }).events, trainerFactory: cpu }, id),
      Interrupt,
    );
    const cut = loadLoopState(dataDir, id);
    const success = cut.rounds[1]!.episodes!.episodes[0]!;
    success.success = true;
    saveLoopState(dataDir, cut);
    const db = new Database(join(dataDir, 'index.db'));
    db.prepare("UPDATE episodes SET outcome = 'success' WHERE id = ?").run(success.episodeId);
    db.close();

    const resumed = watcher();
    const state = await resumeLoop(dataDir, id, { events: resumed.events, trainerFactory: cpu });
    assert.deepEqual(resumed.ran, ['1:baseline', '1:baseline']);
    const round1 = state.rounds[1]!;
    const sft = state.rounds[0]!.result!;
    const index = EpisodeIndex.open(dataDir);
    try {
      const tpoNll = index.checkpoint(round1.baselines!['tpo+nll']!.training!.checkpointId!)!;
      assert.equal(tpoNll.objective, 'tpo+nll');
      assert.equal(tpoNll.parentId, sft.checkpointId);
      const filtered = round1.baselines!['filtered-sft']!.training!;
      assert.equal(index.checkpoint(filtered.checkpointId!)!.parentId, sft.checkpointId);
      assert.equal(filtered.items, 1, 'trained on the one successful rollout');
      const manifest = JSON.parse(
        readFileSync(join(runsDir(dataDir), filtered.runId, 'run.json'), 'utf8'),
      ) as {
        settings: { objective: string };
        selection: { sftSource: string; sessionIds: string[] };
      };
      assert.equal(manifest.settings.objective, 'sft');
      assert.equal(manifest.selection.sftSource, 'rollouts');
      assert.deepEqual(manifest.selection.sessionIds, [round1.episodes!.sessionId]);
    } finally {
      index.close();
    }

    // A fork keeps round 0 (no demonstration recorded or SFT trained again) and runs its own round.
    const safety = structuredClone(p);
    safety.baselines = [];
    safety.scoring.objective = 'safety';
    const changed = structuredClone(safety);
    changed.demos.perTask = 3;
    await assert.rejects(
      forkLoop(dataDir, id, changed, { trainerFactory: cpu }, 'loop-bad-fork'),
      /keeps its demonstrations/,
    );
    const forkRan = watcher();
    const fork = await forkLoop(
      dataDir,
      id,
      safety,
      { events: forkRan.events, trainerFactory: cpu },
      'loop-fork',
    );
    assert.equal(fork.forkedFrom, id);
    assert.deepEqual(fork.rounds[0], state.rounds[0]);
    assert.deepEqual(forkRan.ran, ['1:rollouts', '1:score', '1:pairs', '1:tpo', '1:promote']);
    assert.equal(fork.rounds[1]!.parent.checkpointId, sft.checkpointId);
    assert.notEqual(fork.rounds[1]!.episodes!.sessionId, round1.episodes!.sessionId);
    assert.equal(fork.rounds[1]!.scoring!.objective, 'safety');

    // A format-1 state file (one step-DPO flag and baseline) reads as format 2.
    const { baselines, training, ...parameters } = state.parameters;
    const oldRound1: Partial<typeof round1> = { ...round1 };
    delete oldRound1.baselines;
    const stepDpo = { evaluations: [] };
    const format1 = {
      ...state,
      format: 'grape-loop/1',
      parameters: {
        ...parameters,
        stepDpoBaseline: true,
        training: { sft: training.sft, tpo: training.tpo, stepDpo: training.baselines['step-dpo'] },
      },
      rounds: [state.rounds[0], { ...oldRound1, baseline: stepDpo }],
    };
    assert.deepEqual(baselines, ['tpo+nll', 'filtered-sft']);
    writeFileSync(loopStatePath(dataDir, id), JSON.stringify(format1));
    const read = loadLoopState(dataDir, id);
    assert.equal(read.format, 'grape-loop/2');
    assert.deepEqual(read.parameters.baselines, ['step-dpo']);
    assert.deepEqual(read.parameters.training.baselines['step-dpo'], training.baselines['step-dpo']);
    assert.deepEqual(read.rounds[1]!.baselines, { 'step-dpo': stepDpo });
  });

  it('grape demo prints SFT, step-DPO and GRAPE rounds × splits with 95% intervals, and the report', () => {
    const dataDir = scratchDir('grape-demo-');
    const size = [
      '--task',
      'lift',
      '--rounds',
      '1',
      '--demos-per-task',
      '2',
      '--seeds-per-task',
      '1',
      '--rollouts-per-seed',
      '2',
      '--eval-seeds',
      '1',
      '--sft-epochs',
      '2',
      '--epochs',
      '1',
      '--device',
      'cpu',
    ];
    const r = runCli(['--data-dir', dataDir, 'demo', ...size]);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.split('\n');
    const header = lines.findIndex((l) => l.startsWith('policy '));
    assert.ok(header >= 0, r.stdout);
    assert.match(lines[header]!, /^policy\s+in-domain\s+vs SFT\s+visual\s+vs SFT$/);
    const interval = /\d+% \(\d+%–\d+%\)/.source;
    assert.match(lines[header + 1]!, new RegExp(`^SFT\\s+${interval}\\s+${interval}$`));
    for (const [i, label] of ['step-DPO', 'GRAPE round 1'].entries())
      assert.match(
        lines[header + 2 + i]!,
        new RegExp(
          `^${label}\\s+${interval}\\s+[+-]\\d+ pts, p [\\d.]+\\s+${interval}\\s+[+-]\\d+ pts, p [\\d.]+$`,
        ),
      );
    assert.match(r.stdout, /A demo this size is a smoke test, not evidence/);
    assert.match(r.stdout, /tasks: lift \(1 of 8/);
    const report = /^report: (.+)$/m.exec(r.stdout)?.[1];
    assert.ok(report && existsSync(report), r.stdout);
    assert.match(readFileSync(report, 'utf8'), /GRAPE round 1/);

    // Resuming a finished demo runs nothing again and prints the same figures as JSON.
    const id = /^data dir: .*\/demo\/(loop-[^ ]+) /m.exec(r.stdout)?.[1];
    assert.ok(id, r.stdout);
    const again = runCli(['--data-dir', dataDir, 'demo', '--resume', id, '--json']);
    assert.equal(again.status, 0, again.stderr);
    const out = JSON.parse(again.stdout) as {
      loop: string;
      reportPath: string;
      smokeTest: string;
      summary: {
        splits: string[];
        policies: { label: string; cells: Record<string, { evaluation: { successInterval: object } }> }[];
      };
    };
    assert.equal(out.loop, id);
    assert.deepEqual(out.summary.splits, ['in-domain', 'visual']);
    assert.deepEqual(
      out.summary.policies.map((p) => p.label),
      ['SFT', 'step-DPO', 'GRAPE round 1'],
    );
    for (const p of out.summary.policies)
      for (const split of out.summary.splits) assert.ok(p.cells[split]?.evaluation.successInterval);
    assert.match(again.stderr, /round 1 rollouts: done before/);
    assert.doesNotMatch(again.stderr, /: evaluate .*\[\d+ s\]/, 'no evaluation ran again');
  });
});
