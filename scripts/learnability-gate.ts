// The learnability gate (issue 7, docs/RESULTS.md): records the scripted expert's demonstrations and
// evaluates a checkpoint greedily on the in-domain evaluation seeds, over --jobs processes. Training
// in between is `grape train`.
//
//   npx tsx scripts/learnability-gate.ts demos --data-dir D --per-task 100 [--seed-start 1000] [--noise M]
//                                              [--execution-noise M] [--jobs 2]
//   npx tsx scripts/learnability-gate.ts eval  --data-dir D --adapter ID [--seeds 50] [--jobs 2] [--out F]
//
// eval prints the per-task success table and whether the gate holds: mean success over tasks in
// [30%, 70%] and every task above 10%. Its episodes are recorded in a scratch data dir (removed).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import {
  episodeRequests,
  runSimEpisodes,
  summarizeByTask,
  type SimBatchOptions,
} from '../src/app/sim-episodes.js';
import type { SimEpisodeRequest, SimEpisodeResult } from '../src/app/sim-runner.js';
import { ensureDefaultModel } from '../src/app/model-location.js';
import type { ExpertOptions } from '../src/sim/scripted-expert.js';
import { TASKS } from '../src/sim/task-registry.js';

const GATE = { low: 0.3, high: 0.7, perTask: 0.1 };

/** The batch on `jobs` processes (the simulator is single-threaded), a line per episode on stderr. */
async function runGateBatch(
  base: Pick<SimBatchOptions, 'dataDir' | 'modelDir' | 'adapter' | 'actor' | 'expert'>,
  requests: SimEpisodeRequest[],
  jobs: number,
): Promise<SimEpisodeResult[]> {
  let done = 0;
  const report = await runSimEpisodes({
    ...base,
    device: 'cpu',
    sampling: { greedy: true },
    requests,
    jobs,
    onEpisode: (r) => {
      process.stderr.write(
        `${++done}/${requests.length} ${r.taskId} seed ${r.seed} ${r.success ? 'success' : 'failure'}\n`,
      );
    },
  });
  return report.results;
}

function printGate(results: SimEpisodeResult[]): boolean {
  const summary = summarizeByTask(results);
  const mean = summary.reduce((a, s) => a + s.rate, 0) / summary.length;
  const holds = mean >= GATE.low && mean <= GATE.high && summary.every((s) => s.rate > GATE.perTask);
  process.stdout.write('| task | success | rate | mean steps |\n| --- | --- | --- | --- |\n');
  for (const s of summary)
    process.stdout.write(
      `| ${s.taskId} | ${s.successes}/${s.episodes} | ${(100 * s.rate).toFixed(0)}% | ${s.meanSteps.toFixed(1)} |\n`,
    );
  process.stdout.write(`| **mean** | | **${(100 * mean).toFixed(1)}%** | |\n\n`);
  process.stdout.write(
    `gate (mean in [${100 * GATE.low}%, ${100 * GATE.high}%], every task > ${100 * GATE.perTask}%): ${holds ? 'holds' : 'FAILS'}\n`,
  );
  return holds;
}

const [command, ...rest] = process.argv.slice(2);
const { values } = parseArgs({
  args: rest,
  options: {
    'data-dir': { type: 'string' },
    policy: { type: 'string' },
    adapter: { type: 'string' },
    'per-task': { type: 'string', default: '100' },
    'seed-start': { type: 'string' },
    seeds: { type: 'string', default: '50' },
    task: { type: 'string', multiple: true },
    jobs: { type: 'string', default: '2' },
    noise: { type: 'string' },
    'execution-noise': { type: 'string' },
    out: { type: 'string' },
  },
});
const dataDir = values['data-dir'];
if (!dataDir || (command !== 'demos' && command !== 'eval')) {
  process.stderr.write('usage: learnability-gate.ts demos|eval --data-dir D [options] (see the header)\n');
  process.exit(2);
}
// Built here, once, when missing: the children only read it.
const modelDir = values.policy ?? (await ensureDefaultModel(dataDir)).dir;
const tasks = values.task ?? TASKS.map((t) => t.id);
const jobs = Number(values.jobs);
if (command === 'demos') {
  const requests = episodeRequests(
    tasks,
    Number(values['per-task']),
    Number(values['seed-start'] ?? 1000),
    'in-domain',
  );
  const expert: ExpertOptions = {
    ...(values.noise === undefined ? {} : { actionNoise: Number(values.noise) }),
    ...(values['execution-noise'] === undefined ? {} : { executionNoise: Number(values['execution-noise']) }),
  };
  const results = await runGateBatch({ dataDir, modelDir, actor: 'expert', expert }, requests, jobs);
  process.stdout.write(
    `recorded ${results.length} demonstrations, ${results.filter((r) => r.success).length} successful\n`,
  );
} else {
  const requests = episodeRequests(
    tasks,
    Number(values.seeds),
    Number(values['seed-start'] ?? 0),
    'in-domain',
  );
  const scratch = mkdtempSync(join(tmpdir(), 'grape-gate-eval-'));
  try {
    const results = await runGateBatch(
      {
        dataDir: scratch,
        modelDir,
        ...(values.adapter === undefined ? {} : { adapter: values.adapter }),
        actor: 'policy',
      },
      requests,
      jobs,
    );
    if (values.out) writeFileSync(values.out, `${JSON.stringify(results, null, 2)}\n`);
    process.exitCode = printGate(results) ? 0 : 1;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
