// sim (../shared/bench/WORKLOADS.md): the embedded simulator's throughput on one core — raw physics
// steps/s of a task scene, control steps/s without and with the camera (physics + IK + contacts
// [+ camera], the scripted expert driving), and the camera's ms per frame. sim-expert: the scripted
// expert's success per task over the evaluation seeds (SIM_SEEDS, default 50; SIM_SPLIT, default
// in-domain). JSON lines on stdout, a table on stderr.
import { median } from './stats.js';
import { measureExpertSuccess } from '../src/sim/expert-rollout.js';
import { CAMERA_RESOLUTION } from '../src/sim/ray-cast-camera.js';
import { ScriptedExpert } from '../src/sim/scripted-expert.js';
import { SimEnvironment } from '../src/sim/sim-environment.js';
import { isSplitName } from '../src/sim/splits.js';
import { EVALUATION_SEEDS, TASKS } from '../src/sim/task-registry.js';

const BENCH_TASKS = ['place-on-plate', 'lift-from-clutter', 'place-past-wall'];
const REPS = 5;

interface Line {
  workload: 'sim';
  task: string;
  metric: 'physics' | 'control-no-camera' | 'control-with-camera' | 'camera-frame';
  /** steps (or frames) per second of wall time, median of REPS runs */
  per_s: number;
  ms: number;
  /** the same from the process's CPU time: robust to other load on a shared machine */
  per_cpu_s: number;
  cpu_ms: number;
  camera_px?: number;
}

/** Milliseconds of wall and CPU time per unit of work. */
interface Cost {
  wall: number;
  cpu: number;
}

function emit(line: Line | Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

function cost(units: number, work: () => void): Cost {
  const cpu = process.cpuUsage();
  const t = performance.now();
  work();
  const used = process.cpuUsage(cpu);
  return { wall: (performance.now() - t) / units, cpu: (used.user + used.system) / 1e3 / units };
}

function medianCost(costs: Cost[]): Cost {
  return { wall: median(costs.map((c) => c.wall)), cpu: median(costs.map((c) => c.cpu)) };
}

/** Raw mj_step cost in the task's scene (seed 0) with the arm holding its start pose. */
function physicsCost(env: SimEnvironment, task: string): Cost {
  const steps = 5000;
  const costs: Cost[] = [];
  for (let r = 0; r < REPS; r++) {
    env.reset(task, 0);
    const { mj, model, data } = env.physics();
    costs.push(
      cost(steps, () => {
        for (let i = 0; i < steps; i++) mj.mj_step(model, data);
      }),
    );
  }
  return medianCost(costs);
}

/** Expert-driven control steps; with `camera`, every step renders the observation first. */
function controlCost(env: SimEnvironment, task: string, camera: boolean): { step: Cost; frame: Cost } {
  const steps: Cost[] = [];
  const frames: Cost[] = [];
  for (let r = 0; r < REPS; r++) {
    env.reset(task, r);
    const expert = new ScriptedExpert(env.taskEpisode);
    let n = 0;
    const run = () => {
      for (let done = false; !done && n < 60; n++) {
        if (camera) frames.push(cost(1, () => env.observe()));
        done = env.step(expert.act(env.signals())).done;
      }
    };
    const total = cost(1, run);
    steps.push({ wall: total.wall / n, cpu: total.cpu / n });
  }
  return { step: medianCost(steps), frame: camera ? medianCost(frames) : { wall: 0, cpu: 0 } };
}

function line(task: string, metric: Line['metric'], c: Cost, camera = false): Line {
  return {
    workload: 'sim',
    task,
    metric,
    per_s: +(1e3 / c.wall).toFixed(1),
    ms: +c.wall.toFixed(3),
    per_cpu_s: +(1e3 / c.cpu).toFixed(1),
    cpu_ms: +c.cpu.toFixed(3),
    ...(camera ? { camera_px: CAMERA_RESOLUTION } : {}),
  };
}

export async function simBench(): Promise<void> {
  const env = await SimEnvironment.create();
  const lines: Line[] = [];
  const add = (l: Line) => {
    lines.push(l);
    emit(l);
  };
  try {
    controlCost(env, BENCH_TASKS[0]!, true); // warm up the JIT
    for (const task of BENCH_TASKS) {
      add(line(task, 'physics', physicsCost(env, task)));
      add(line(task, 'control-no-camera', controlCost(env, task, false).step));
      const withCamera = controlCost(env, task, true);
      add(line(task, 'control-with-camera', withCamera.step, true));
      add(line(task, 'camera-frame', withCamera.frame, true));
    }
  } finally {
    env.close();
  }
  process.stderr.write(
    `\nsim: one core, ${CAMERA_RESOLUTION}x${CAMERA_RESOLUTION} camera, 10 Hz control (50 physics steps each)\n` +
      `  ${'task'.padEnd(18)} ${'metric'.padEnd(20)} ${'per s'.padStart(9)} ${'ms'.padStart(8)} ${'per CPU s'.padStart(10)} ${'CPU ms'.padStart(8)}\n`,
  );
  for (const l of lines) {
    process.stderr.write(
      `  ${l.task.padEnd(18)} ${l.metric.padEnd(20)} ${String(l.per_s).padStart(9)} ${l.ms.toFixed(2).padStart(8)}` +
        ` ${String(l.per_cpu_s).padStart(10)} ${l.cpu_ms.toFixed(2).padStart(8)}\n`,
    );
  }
}

export async function simExpertBench(): Promise<void> {
  const seeds = EVALUATION_SEEDS.slice(0, Number(process.env.SIM_SEEDS ?? EVALUATION_SEEDS.length));
  const split = process.env.SIM_SPLIT ?? 'in-domain';
  if (!isSplitName(split)) throw new Error(`SIM_SPLIT=${split} is not a split`);
  const env = await SimEnvironment.create();
  try {
    const t = performance.now();
    const rows = measureExpertSuccess(
      env,
      TASKS.map((task) => task.id),
      seeds,
      split,
    );
    for (const row of rows) emit({ workload: 'sim-expert', ...row });
    process.stderr.write(`\nsim-expert: scripted expert, ${split}, seeds ${seeds[0]}–${seeds.at(-1)}\n`);
    for (const r of rows) {
      process.stderr.write(
        `  ${r.taskId.padEnd(18)} ${String(r.successes).padStart(3)}/${r.episodes}  ${(100 * r.rate).toFixed(0).padStart(3)}%` +
          `  ${r.meanSteps.toFixed(0)} steps  ${r.episodesWithCollisions} with collisions\n`,
      );
    }
    process.stderr.write(`  (${((performance.now() - t) / 1e3).toFixed(0)} s)\n`);
  } finally {
    env.close();
  }
}
