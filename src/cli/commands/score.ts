// grape score: GCPG scores of the episodes in the index, task by task (R = w_self·R_self + w_ext·R_ext +
// w_success·I_success), stored in the index with every setting they were computed with, printed as a
// table per task (stage costs, R terms, rank) and written as JSON. Any term can be switched off
// (--no-self, --no-ext, --no-success) for ablations.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import type { CommandModule } from 'yargs';

import { EpisodeIndex } from '../../episode/episode-index.js';
import { OBJECTIVES, type Objective } from '../../gcpg/cost-spec.js';
import { CostSpecStore, specHash, type ResolvedCostSpec } from '../../gcpg/cost-spec-store.js';
import { parseCostSpec } from '../../gcpg/cost-spec-validation.js';
import { scoreEpisodes, type TaskScoring } from '../../gcpg/episode-scoring.js';
import { applyObjective } from '../../gcpg/objective-presets.js';
import {
  DEFAULT_REWARD_CONFIG,
  NORMALIZATIONS,
  WEIGHT_PRESETS,
  type Normalization,
  type RewardConfig,
  type WeightPreset,
} from '../../gcpg/reward-config.js';
import { loadRobotSignalConfig } from '../../gcpg/robot-signal-config.js';
import type { GlobalArgs } from '../global-args.js';
import { printJson, printTable } from '../output.js';
import { DEFAULT_OBJECTIVE, reportingErrors } from './costs-options.js';

interface Args extends GlobalArgs {
  task?: string[];
  objective: Objective;
  weights: WeightPreset;
  'w-self'?: number;
  'w-ext'?: number;
  'w-success'?: number;
  self: boolean;
  ext: boolean;
  success: boolean;
  alpha: number;
  'unreached-cost': number;
  'self-aggregate': 'mean' | 'sum';
  normalize: Normalization;
  spec?: string;
  signals?: string;
  'dry-run': boolean;
  out?: string;
  json: boolean;
}

const DEFAULT_WEIGHTS: WeightPreset = 'official';

/** The reward configuration the options describe. */
export function rewardConfigFrom(args: Args): RewardConfig {
  const preset = WEIGHT_PRESETS[args.weights];
  const weight = (on: boolean, given: number | undefined, fallback: number) => (on ? (given ?? fallback) : 0);
  return {
    weights: {
      self: weight(args.self, args['w-self'], preset.self),
      ext: weight(args.ext, args['w-ext'], preset.ext),
      success: weight(args.success, args['w-success'], preset.success),
    },
    alpha: args.alpha,
    unreachedStageCost: args['unreached-cost'],
    selfAggregate: args['self-aggregate'],
    normalization: args.normalize,
  };
}

/** --spec: a JSON file, for one task only. */
function specFromFile(file: string, objective: Objective): ResolvedCostSpec {
  const spec = applyObjective(parseCostSpec(readFileSync(file, 'utf8'), file), objective);
  return { spec, version: `file:${file}#${specHash(spec)}`, provenance: `from ${file}` };
}

const fixed = (v: number | undefined, digits = 3) => (v === undefined ? '—' : v.toFixed(digits));

function printTask(t: TaskScoring): void {
  process.stdout.write(`\n${t.taskId}`);
  if (t.specVersion) process.stdout.write(`: cost spec ${t.specVersion} (${t.provenance})`);
  process.stdout.write('\n');
  const ranked = [...t.scored].sort((a, b) => b.score.total - a.score.total);
  if (ranked.length > 0) {
    const stageNames = t.spec!.stages.map((s) => s.name);
    printTable(
      ['rank', 'episode', 'seed', 'outcome', ...stageNames, 'done', 'R_ext', 'R_self', 'I_success', 'R'],
      ranked.map(({ episode, score }, i) => {
        const stages = score.evaluation?.stages;
        return [
          String(i + 1),
          episode.id,
          episode.seed === undefined ? '' : String(episode.seed),
          episode.outcome ?? '',
          // What entered R_ext; '—' marks a stage never reached (it cost the unreached penalty).
          ...stageNames.map((_, s) =>
            stages?.[s]?.reached ? fixed(score.stageCosts![s], 2) : stages ? '—' : '',
          ),
          stages ? `${score.evaluation!.completed}/${stageNames.length}` : '',
          fixed(score.raw.ext),
          fixed(score.raw.self),
          score.raw.success === undefined ? '—' : String(score.raw.success),
          fixed(score.total, 4),
        ];
      }),
    );
  }
  for (const f of t.failures) process.stdout.write(`not scored ${f.episodeId}: ${f.error}\n`);
}

export const scoreCommand: CommandModule<GlobalArgs, Args> = {
  command: 'score',
  describe: 'Score the episodes in the index with GCPG (R_self, R_ext, I_success) and store the scores',
  builder: (y) =>
    y
      .option('task', {
        type: 'string',
        array: true,
        describe: 'only these tasks (default: every task in the index)',
      })
      .option('objective', {
        choices: OBJECTIVES,
        default: DEFAULT_OBJECTIVE,
        describe: 'alignment objective (cost preset)',
      })
      .option('weights', {
        choices: Object.keys(WEIGHT_PRESETS) as WeightPreset[],
        default: DEFAULT_WEIGHTS,
        describe:
          'weight preset: paper (0.01, 0.01, 2) or official code (0.01, 1, 5) for (self, ext, success)',
      })
      .option('w-self', { type: 'number', describe: 'weight of R_self (overrides the preset)' })
      .option('w-ext', { type: 'number', describe: 'weight of R_ext (overrides the preset)' })
      .option('w-success', { type: 'number', describe: 'weight of I_success (overrides the preset)' })
      .option('self', { type: 'boolean', default: true, describe: 'R_self on (--no-self switches it off)' })
      .option('ext', { type: 'boolean', default: true, describe: 'R_ext on (--no-ext switches it off)' })
      .option('success', {
        type: 'boolean',
        default: true,
        describe: 'I_success on (--no-success switches it off)',
      })
      .option('alpha', { type: 'number', default: DEFAULT_REWARD_CONFIG.alpha, describe: 'α of R_ext' })
      .option('unreached-cost', {
        type: 'number',
        default: DEFAULT_REWARD_CONFIG.unreachedStageCost,
        describe: 'cost of a stage never reached (reached stages are capped at it)',
      })
      .option('self-aggregate', {
        choices: ['mean', 'sum'] as const,
        default: DEFAULT_REWARD_CONFIG.selfAggregate,
        describe: 'R_self: mean or sum of the per-step log-likelihood',
      })
      .option('normalize', {
        choices: NORMALIZATIONS,
        default: DEFAULT_REWARD_CONFIG.normalization,
        describe: "normalize each term across a task's episodes",
      })
      .option('spec', { type: 'string', describe: 'a cost spec JSON file to use (with a single --task)' })
      .option('signals', {
        type: 'string',
        describe:
          'robot signal configuration (YAML) for episodes without simulator records (default <data-dir>/signals.yaml)',
      })
      .option('dry-run', { type: 'boolean', default: false, describe: 'score and print, but store nothing' })
      .option('out', {
        type: 'string',
        describe: 'write the JSON report here (default <data-dir>/gcpg/scores-<time>.json)',
      })
      .option('json', { type: 'boolean', default: false, describe: 'print JSON' })
      .strict(),
  handler: (args) =>
    reportingErrors('score', async () => {
      const dataDir = args['data-dir'];
      const reward = rewardConfigFrom(args);
      if (args.spec !== undefined && args.task?.length !== 1)
        throw new Error('--spec scores one task: give exactly one --task');
      const spec = args.spec !== undefined ? specFromFile(args.spec, args.objective) : undefined;
      const signalsFile = args.signals ?? join(dataDir, 'signals.yaml');
      const robotConfig =
        args.signals !== undefined || existsSync(signalsFile)
          ? loadRobotSignalConfig(signalsFile)
          : undefined;
      const index = EpisodeIndex.open(dataDir);
      let tasks: TaskScoring[];
      try {
        tasks = await scoreEpisodes(index, new CostSpecStore(dataDir), {
          objective: args.objective,
          reward,
          store: !args['dry-run'],
          ...(args.task ? { taskIds: args.task } : {}),
          ...(spec ? { spec } : {}),
          ...(robotConfig ? { robotConfig } : {}),
          onEpisode: (e) => {
            if (!args.json && process.stderr.isTTY) process.stderr.write(`\rscoring ${e.id}…`.padEnd(60));
          },
        });
      } finally {
        index.close();
      }
      if (!args.json && process.stderr.isTTY) process.stderr.write('\r'.padEnd(61) + '\r');
      const report = {
        createdAt: new Date().toISOString(),
        stored: !args['dry-run'],
        tasks: tasks.map((t) => ({
          taskId: t.taskId,
          specVersion: t.specVersion,
          provenance: t.provenance,
          config: t.config,
          episodes: [...t.scored]
            .sort((a, b) => b.score.total - a.score.total)
            .map(({ episode, score, stored }, i) => ({
              episodeId: episode.id,
              seed: episode.seed,
              outcome: episode.outcome,
              rank: i + 1,
              total: score.total,
              raw: score.raw,
              terms: score.terms,
              successSource: score.successSource,
              stageCosts: score.stageCosts,
              stages: score.evaluation?.stages,
              scoreId: stored?.id,
            })),
          failures: t.failures,
        })),
      };
      const out = args.out ?? join(dataDir, 'gcpg', `scores-${report.createdAt.replace(/[:.]/g, '-')}.json`);
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
      if (args.json) {
        printJson({ ...report, out });
      } else {
        const w = reward.weights;
        process.stdout.write(
          `GCPG scores (objective ${args.objective}; weights self ${w.self}, ext ${w.ext}, success ${w.success}; α ${reward.alpha}; unreached stage ${reward.unreachedStageCost}; R_self ${reward.selfAggregate}; normalization ${reward.normalization})\n`,
        );
        if (tasks.length === 0) process.stdout.write(`\nno scorable episodes in ${dataDir}\n`);
        tasks.forEach(printTask);
        process.stdout.write(`\n${args['dry-run'] ? 'not stored (--dry-run); ' : ''}report: ${out}\n`);
      }
      if (tasks.some((t) => t.failures.length > 0)) process.exitCode = 1;
    }),
};
