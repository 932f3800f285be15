// The GRAPE study (issue 9 item 6, docs/RESULTS.md): GRAPE against its baselines on the simulator,
// per training seed, in one data dir, resumable at every stage (a cut-short run goes on where it
// stopped; a later session can add training seeds):
//   - SFT loop, study-sft-s<N>: expert demonstrations → SFT, evaluated greedily in-domain;
//   - GRAPE loop, study-grape-s<N>: forked from the SFT policy, GRAPE rounds 1–3 (task objective;
//     --rounds: a later run can raise it),
//     with round 1's baselines (step-DPO, TPO+NLL, success-filtered SFT) trained from the same SFT
//     policy on the same rollouts; every policy evaluated greedily in-domain on the same seeds;
//   - safety and efficiency loops, study-safety-s<N> and study-efficiency-s<N>: forked from the SFT
//     policy, one GRAPE round scored with that objective's cost preset (collision costs; time, path,
//     speed and jerk costs) on round 1's rollout seeds and draws (the same episodes, recorded again
//     in the loop's own session), evaluated in-domain on the same seeds;
//   - generalization: SFT and the last GRAPE round on every generalization split.
// Training seed N draws its own demonstrations, rollout states and sampling draws, and seeds its
// training runs with N, so seeds differ in data as well as in initialization.
//
//   npx tsx scripts/grape-study.ts run    --data-dir D [--training-seed 0 …] [--rounds 3] [--eval-seeds 25]
//                                         [--generalization-seeds 10] [--jobs 2] [--device cpu]
//                                         [--skip-baselines]
//   npx tsx scripts/grape-study.ts report --data-dir D [--json]
//
// report prints the tables of docs/RESULTS.md: success with 95% intervals per policy and seed, the
// difference to SFT and to success-filtered SFT paired on the same initial states (exact McNemar
// over the pooled seeds), collision rates and steps, and the generalization splits.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { forkLoop, resumeLoop, startLoop, type LoopOptions } from '../src/app/grape-loop.js';
import {
  BASELINE_LABELS,
  BASELINES,
  baselineSettings,
  defaultLoopParameters,
  type LoopParameters,
} from '../src/app/loop-parameters.js';
import { loadLoopState, loopStatePath, type LoopEvaluation, type LoopState } from '../src/app/loop-state.js';
import { ensureDefaultModel } from '../src/app/model-location.js';
import { evaluateOnSim } from '../src/app/sim-evaluation.js';
import { loopProgress } from '../src/cli/commands/loop-progress.js';
import { progressBar } from '../src/cli/progress.js';
import type { EvaluationRun } from '../src/eval/evaluation-run.js';
import { loadEvaluation } from '../src/eval/evaluation-store.js';
import { summarizeEvaluation } from '../src/eval/evaluation-summary.js';
import { comparePaired } from '../src/eval/paired-comparison.js';
import { wilsonInterval } from '../src/eval/success-interval.js';
import { SPLITS, type SplitName } from '../src/sim/splits.js';
import { TASKS } from '../src/sim/task-registry.js';
import { SMALL_HEAD_DEFAULTS } from '../src/tpo/training-settings.js';
import type { Objective } from '../src/gcpg/cost-spec.js';

/** Demonstrations per task: the learnability gate's recipe (docs/RESULTS.md). */
const DEMOS_PER_TASK = 80;
const SFT_EPOCHS = 80;
/** Seeds of training seed N start here + N·stride: demonstrations, rollout states, sampling draws. */
const SEED_STRIDE = { demos: 100, rollouts: 100, sampling: 100_000 };
const GENERALIZATION = SPLITS.filter((s) => s !== 'in-domain');

const sftLoopId = (seed: number) => `study-sft-s${seed}`;
const grapeLoopId = (seed: number) => `study-grape-s${seed}`;
/** The loops forked from the SFT policy that run one round under another objective. */
const OBJECTIVE_LOOPS = ['safety', 'efficiency'] as const satisfies readonly Objective[];
const objectiveLoopId = (objective: Objective, seed: number) => `study-${objective}-s${seed}`;

/** Round 0 of training seed N: its demonstrations and SFT. */
function sftParameters(modelDir: string, seed: number, evalSeeds: number, device: string): LoopParameters {
  const p = defaultLoopParameters(
    modelDir,
    TASKS.map((t) => t.id),
  );
  p.rounds = 0;
  p.demos = { perTask: DEMOS_PER_TASK, seedStart: 1000 + SEED_STRIDE.demos * seed };
  p.rollouts = {
    ...p.rollouts,
    seedStart: 2000 + SEED_STRIDE.rollouts * seed,
    samplingSeed: SEED_STRIDE.sampling * seed,
  };
  p.training.sft.epochs = SFT_EPOCHS;
  for (const t of [p.training.sft, p.training.tpo, ...Object.values(p.training.baselines)]) t.seed = seed;
  p.evaluation = { episodes: evalSeeds, splits: ['in-domain'] };
  p.device = device;
  return p;
}

/** A loop forked from the SFT loop: its recorded round-0 parameters, today's preference defaults. */
function forkParameters(
  sft: LoopState,
  seed: number,
  objective: Objective,
  withBaselines: boolean,
): LoopParameters {
  const p = structuredClone(sft.parameters);
  p.rounds = 1;
  p.scoring.objective = objective;
  p.training.tpo = { ...SMALL_HEAD_DEFAULTS.tpo, seed };
  p.training.baselines = baselineSettings();
  for (const t of Object.values(p.training.baselines)) t.seed = seed;
  p.baselines = objective === 'task' && withBaselines ? [...BASELINES] : [];
  return p;
}

/** Runs a loop, or goes on with it when its state file exists (raised to `rounds`, never lowered). */
async function runLoop(
  dataDir: string,
  id: string,
  start: (options: LoopOptions) => Promise<LoopState>,
  options: LoopOptions & { rounds?: number },
): Promise<LoopState> {
  process.stderr.write(`\n== ${id}\n`);
  if (!existsSync(loopStatePath(dataDir, id))) return start(options);
  const recorded = loadLoopState(dataDir, id).parameters.rounds;
  return resumeLoop(dataDir, id, { ...options, rounds: Math.max(options.rounds ?? recorded, recorded) });
}

/** The study's generalization evaluations: <data-dir>/study/generalization.json. */
interface GeneralizationEntry {
  trainingSeed: number;
  label: string;
  checkpoint: string;
  split: SplitName;
  evaluationId: string;
}

const generalizationPath = (dataDir: string) => join(dataDir, 'study', 'generalization.json');

function readGeneralization(dataDir: string): GeneralizationEntry[] {
  const path = generalizationPath(dataDir);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as GeneralizationEntry[]) : [];
}

function writeGeneralization(dataDir: string, entries: GeneralizationEntry[]): void {
  const path = generalizationPath(dataDir);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(`${path}.tmp`, `${JSON.stringify(entries, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
}

async function generalization(
  dataDir: string,
  task: LoopState,
  seed: number,
  episodes: number,
  jobs: number,
): Promise<void> {
  const last = task.rounds.at(-1)!;
  const policies = [
    { label: 'SFT', checkpoint: task.rounds[0]!.result!.adapterId },
    { label: `GRAPE round ${last.round}`, checkpoint: last.result!.adapterId },
  ];
  for (const split of GENERALIZATION)
    for (const policy of policies) {
      const entries = readGeneralization(dataDir);
      const done = entries.some(
        (e) => e.trainingSeed === seed && e.checkpoint === policy.checkpoint && e.split === split,
      );
      if (done) continue;
      const bar = progressBar(
        `${`s${seed} ${policy.label} ${split}`.padEnd(28)} [{bar}] {value}/{total} episodes`,
      );
      bar.start(episodes * task.parameters.taskIds.length, 0);
      let count = 0;
      try {
        const result = await evaluateOnSim({
          dataDir,
          modelDir: task.parameters.modelDir,
          checkpoint: policy.checkpoint,
          split,
          taskIds: task.parameters.taskIds,
          episodes,
          decoding: { greedy: true, temperature: 1, topK: 0, seed: 0 },
          device: task.parameters.device,
          label: policy.label,
          jobs,
          onEpisode: () => {
            bar.update(++count);
          },
        });
        writeGeneralization(dataDir, [
          ...readGeneralization(dataDir),
          { trainingSeed: seed, ...policy, split, evaluationId: result.run.id },
        ]);
      } finally {
        bar.stop();
      }
    }
}

interface RunArgs {
  'data-dir'?: string;
  'training-seed'?: string[];
  'eval-seeds'?: string;
  rounds?: string;
  'generalization-seeds'?: string;
  jobs?: string;
  device?: string;
  'skip-baselines'?: boolean;
}

async function run(values: RunArgs): Promise<void> {
  const dataDir = String(values['data-dir']);
  const seeds = (values['training-seed'] ?? ['0']).map(Number);
  const evalSeeds = Number(values['eval-seeds'] ?? 25);
  const rounds = Number(values.rounds ?? 3);
  const generalizationSeeds = Number(values['generalization-seeds'] ?? 10);
  const jobs = Number(values.jobs ?? availableParallelism());
  const device = values.device ?? 'cpu';
  const withBaselines = !values['skip-baselines'];
  const { dir: modelDir } = await ensureDefaultModel(dataDir);
  for (const seed of seeds) {
    const progress = loopProgress();
    const options = { events: progress, jobs };
    try {
      const sft = await runLoop(
        dataDir,
        sftLoopId(seed),
        (o) => startLoop(dataDir, sftParameters(modelDir, seed, evalSeeds, device), o, sftLoopId(seed)),
        options,
      );
      const fork = (id: string, rounds: number, objective: Objective) =>
        runLoop(
          dataDir,
          id,
          (o) =>
            forkLoop(dataDir, sftLoopId(seed), forkParameters(sft, seed, objective, withBaselines), o, id),
          { ...options, rounds },
        );
      // Round 1 and its baselines first, then the safety and efficiency rounds, then the later GRAPE
      // rounds: the cheaper comparisons are done when a session runs out of time.
      await fork(grapeLoopId(seed), 1, 'task');
      for (const objective of OBJECTIVE_LOOPS) await fork(objectiveLoopId(objective, seed), 1, objective);
      const task = await fork(grapeLoopId(seed), rounds, 'task');
      progress.stop();
      await generalization(dataDir, task, seed, generalizationSeeds, jobs);
    } finally {
      progress.stop();
    }
  }
}

// ---- report

interface PolicyResult {
  label: string;
  /** Per training seed: the evaluation, when it ran. */
  runs: Map<number, EvaluationRun>;
}

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
const interval = (successes: number, n: number) => {
  const w = wilsonInterval(successes / n, n);
  return `${(100 * w.low).toFixed(0)}–${(100 * w.high).toFixed(0)}`;
};

/** Episodes of several seeds' runs as one run, initial states told apart by training seed. */
function pooled(runs: Map<number, EvaluationRun>, seeds: readonly number[]): EvaluationRun | undefined {
  if (!seeds.every((s) => runs.has(s))) return undefined;
  const first = runs.get(seeds[0]!)!;
  return {
    ...first,
    id: seeds.map((s) => runs.get(s)!.id).join('+'),
    episodes: seeds.flatMap((s) =>
      runs.get(s)!.episodes.map((e) => ({ ...e, seed: e.seed + 1_000_000 * s })),
    ),
  };
}

function inDomainPolicies(dataDir: string, seeds: readonly number[]): PolicyResult[] {
  const policies = new Map<string, PolicyResult>();
  const add = (label: string, seed: number, evaluations: readonly LoopEvaluation[] | undefined) => {
    const e = evaluations?.find((v) => v.split === 'in-domain');
    if (!e) return;
    const p = policies.get(label) ?? { label, runs: new Map() };
    p.runs.set(seed, loadEvaluation(dataDir, e.id));
    policies.set(label, p);
  };
  for (const seed of seeds) {
    const rounds = [
      ...loadLoopState(dataDir, sftLoopId(seed)).rounds,
      ...(existsSync(loopStatePath(dataDir, grapeLoopId(seed)))
        ? loadLoopState(dataDir, grapeLoopId(seed)).rounds.slice(1)
        : []),
    ];
    for (const r of rounds) {
      add(r.round === 0 ? 'SFT' : `GRAPE round ${r.round}`, seed, r.evaluations);
      for (const b of BASELINES) add(BASELINE_LABELS[b], seed, r.baselines?.[b]?.evaluations);
    }
    for (const objective of OBJECTIVE_LOOPS)
      if (existsSync(loopStatePath(dataDir, objectiveLoopId(objective, seed))))
        add(
          `GRAPE round 1, ${objective} objective`,
          seed,
          loadLoopState(dataDir, objectiveLoopId(objective, seed)).rounds[1]?.evaluations,
        );
  }
  const order = ['SFT', ...BASELINES.map((b) => BASELINE_LABELS[b])];
  return [...policies.values()].sort((a, b) => {
    const rank = (l: string) => (order.includes(l) ? order.indexOf(l) : order.length);
    return rank(a.label) - rank(b.label) || a.label.localeCompare(b.label);
  });
}

/** A paired comparison of `other` against `base` on their common initial states (exact McNemar). */
interface Versus {
  points: number;
  pValue: number;
  /** successes of the baseline alone, of the policy alone: the discordant pairs, to pool later */
  onlyBaseline: number;
  onlyPolicy: number;
}

function versus(base: EvaluationRun | undefined, other: EvaluationRun | undefined): Versus | undefined {
  if (!base || !other || base === other) return undefined;
  const c = comparePaired(base, other).overall;
  return { points: 100 * c.difference, pValue: c.pValue, onlyBaseline: c.onlyA, onlyPolicy: c.onlyB };
}

function versusText(v: Versus | undefined): string {
  if (!v) return '';
  const p = v.pValue < 0.001 ? '<0.001' : v.pValue.toFixed(3);
  return `${v.points >= 0 ? '+' : ''}${v.points.toFixed(1)} (p ${p}, ${v.onlyBaseline}/${v.onlyPolicy})`;
}

function report(dataDir: string, json: boolean): void {
  const seeds = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].filter((s) =>
    existsSync(loopStatePath(dataDir, sftLoopId(s))),
  );
  if (seeds.length === 0)
    throw new Error(`no study in ${dataDir} (run: grape-study.ts run --data-dir ${dataDir})`);
  const policies = inDomainPolicies(dataDir, seeds);
  const complete = (p: PolicyResult) => seeds.filter((s) => p.runs.has(s));
  const sft = policies.find((p) => p.label === 'SFT');
  const filtered = policies.find((p) => p.label === BASELINE_LABELS['filtered-sft']);
  const rows = policies.map((p) => {
    const all = pooled(p.runs, complete(p));
    const summary = all && summarizeEvaluation(all.episodes);
    const both = (q: PolicyResult | undefined) => {
      const common = complete(p).filter((s) => q?.runs.has(s));
      return q && common.length ? versus(pooled(q.runs, common), pooled(p.runs, common)) : undefined;
    };
    return {
      label: p.label,
      seeds: complete(p),
      perSeed: complete(p).map((s) => {
        const run = p.runs.get(s)!;
        const k = run.episodes.filter((x) => x.success).length;
        return {
          seed: s,
          successes: k,
          episodes: run.episodes.length,
          collisionRate: summarizeEvaluation(run.episodes).overall.collisionRate,
          vsSft: p === sft ? undefined : versus(sft?.runs.get(s), run),
          text: `${pct(k / run.episodes.length)} (${interval(k, run.episodes.length)})`,
        };
      }),
      success: summary?.overall.successRate ?? NaN,
      collisionRate: summary?.overall.collisionRate ?? NaN,
      meanSteps: summary?.overall.meanSteps ?? NaN,
      vsSft: p === sft ? undefined : both(sft),
      vsFilteredSft: p === filtered ? undefined : both(filtered),
    };
  });
  const general = readGeneralization(dataDir).map((g) => ({
    ...g,
    run: loadEvaluation(dataDir, g.evaluationId),
  }));
  // Each seed compares SFT with its own last GRAPE round, which need not be the same round number.
  const generalRows = GENERALIZATION.flatMap((split) => {
    const of = (grape: boolean) =>
      new Map(
        general
          .filter((g) => g.split === split && g.label.startsWith('GRAPE') === grape)
          .map((g) => [g.trainingSeed, g]),
      );
    const sftRuns = of(false);
    const grapeRuns = of(true);
    const common = seeds.filter((s) => sftRuns.has(s) && grapeRuns.has(s));
    if (common.length === 0) return [];
    const runs = (m: Map<number, (typeof general)[number]>) => new Map(common.map((s) => [s, m.get(s)!.run]));
    const a = pooled(runs(sftRuns), common)!;
    const b = pooled(runs(grapeRuns), common)!;
    const rate = (r: EvaluationRun) => summarizeEvaluation(r.episodes).overall.successRate;
    const label = common.map((s) => `s${s}: ${grapeRuns.get(s)!.label}`).join(', ');
    return [{ split, seeds: common, sft: rate(a), grape: rate(b), label, vs: versus(a, b) }];
  });
  if (json) {
    process.stdout.write(
      `${JSON.stringify({ seeds, inDomain: rows, generalization: generalRows }, null, 2)}\n`,
    );
    return;
  }
  const episodes = rows[0]?.perSeed[0]?.episodes ?? 0;
  process.stdout.write(
    `In-domain, greedy, ${episodes} episodes per policy and training seed (${TASKS.length} tasks), training seeds ${seeds.join(', ')}.\n` +
      'Differences are paired on the same initial states, pooled over seeds: points (exact McNemar p, only-baseline/only-policy successes).\n\n',
  );
  process.stdout.write(
    `| policy | ${seeds.map((s) => `seed ${s}`).join(' | ')} | pooled | vs SFT | vs success-filtered SFT | collision rate | mean steps |\n`,
  );
  process.stdout.write(`|---|${seeds.map(() => '---|').join('')}---|---|---|---|---|\n`);
  for (const r of rows)
    process.stdout.write(
      `| ${r.label} | ${seeds.map((s) => r.perSeed.find((x) => x.seed === s)?.text ?? '–').join(' | ')} | ${pct(r.success)} | ${versusText(r.vsSft)} | ${versusText(r.vsFilteredSft)} | ${pct(r.collisionRate)} | ${r.meanSteps.toFixed(1)} |\n`,
    );
  if (generalRows.length) {
    process.stdout.write(
      '\nGeneralization splits, greedy, paired on the same initial states, pooled over seeds:\n\n',
    );
    process.stdout.write('| split | seeds | SFT | GRAPE | difference |\n|---|---|---|---|---|\n');
    for (const g of generalRows)
      process.stdout.write(
        `| ${g.split} | ${g.seeds.join(', ')} | ${pct(g.sft)} | ${pct(g.grape)} (${g.label}) | ${versusText(g.vs)} |\n`,
      );
  }
}

const [command, ...rest] = process.argv.slice(2);
const { values } = parseArgs({
  args: rest,
  options: {
    'data-dir': { type: 'string' },
    'training-seed': { type: 'string', multiple: true },
    'eval-seeds': { type: 'string' },
    rounds: { type: 'string' },
    'generalization-seeds': { type: 'string' },
    jobs: { type: 'string' },
    device: { type: 'string' },
    'skip-baselines': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
if (!values['data-dir'] || (command !== 'run' && command !== 'report')) {
  process.stderr.write('usage: grape-study.ts run|report --data-dir D [options] (see the header)\n');
  process.exit(2);
}
if (command === 'run') await run(values);
else report(values['data-dir'], values.json);
