// grape sim view: writes what the simulator's camera sees as PNG frames, for people to look at: the
// initial scene of a task seed, and with --frames > 1 the scripted expert (or a robot that keeps
// still) carrying out the task.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import type { CommandModule } from 'yargs';

import { GRIPPER_OPEN_ACTION } from '../../sim/action-space.js';
import { encodePng } from '../../sim/image-png.js';
import { CAMERA_RESOLUTION } from '../../sim/ray-cast-camera.js';
import { ScriptedExpert } from '../../sim/scripted-expert.js';
import { SimEnvironment } from '../../sim/sim-environment.js';
import { SPLITS, type SplitName } from '../../sim/splits.js';
import { TASKS } from '../../sim/task-registry.js';
import type { GlobalArgs } from '../global-args.js';
import { printJson, printPairs } from '../output.js';

interface SimViewArgs extends GlobalArgs {
  task: string;
  seed: number;
  split: string;
  out: string | undefined;
  frames: number;
  every: number;
  actor: string;
  resolution: number;
  upscale: number;
  json: boolean;
}

export const simViewCommand: CommandModule<GlobalArgs, SimViewArgs> = {
  command: 'view',
  describe: 'Write PNG frames of a task seed as the policy camera sees it',
  builder: (y) =>
    y
      .option('task', {
        type: 'string',
        demandOption: true,
        choices: TASKS.map((t) => t.id),
        describe: 'task id',
      })
      .option('seed', {
        type: 'number',
        default: 0,
        describe: 'initial-state seed (0–49 are the evaluation seeds)',
      })
      .option('split', {
        type: 'string',
        default: 'in-domain',
        choices: SPLITS,
        describe: 'generalization split',
      })
      .option('out', {
        type: 'string',
        describe: 'folder for the frames (default: sim-view/<task>-<split>-<seed>)',
      })
      .option('frames', {
        type: 'number',
        default: 1,
        describe: 'frames to write: the start, then every --every steps',
      })
      .option('every', { type: 'number', default: 5, describe: 'control steps (0.1 s each) between frames' })
      .option('actor', {
        type: 'string',
        default: 'expert',
        choices: ['expert', 'still'],
        describe: 'who moves the robot between frames: the scripted expert, or nobody',
      })
      .option('resolution', {
        type: 'number',
        default: CAMERA_RESOLUTION,
        describe: `render size in pixels (the policy sees ${CAMERA_RESOLUTION})`,
      })
      .option('upscale', {
        type: 'number',
        default: 1,
        describe: 'enlarge each pixel this many times in the PNG',
      })
      .option('json', { type: 'boolean', default: false, describe: 'print JSON' })
      .check((a) => {
        for (const key of ['seed', 'frames', 'every', 'resolution', 'upscale'] as const) {
          const v = a[key];
          const min = key === 'seed' ? 0 : 1;
          if (!Number.isInteger(v) || v < min)
            throw new Error(`--${key} must be an integer ≥ ${min}, got ${v}`);
        }
        return true;
      }),
  handler: async (args) => {
    const split = args.split as SplitName; // yargs checked it against SPLITS
    const out = resolve(args.out ?? join('sim-view', `${args.task}-${split}-${args.seed}`));
    mkdirSync(out, { recursive: true });
    const env = await SimEnvironment.create({ cameraResolution: args.resolution });
    try {
      const info = env.reset(args.task, args.seed, split);
      const expert = args.actor === 'expert' ? new ScriptedExpert(env.taskEpisode) : undefined;
      const still = [0, 0, 0, 0, 0, 0, GRIPPER_OPEN_ACTION];
      const files: string[] = [];
      let done = false;
      let success = false;
      for (let frame = 0; frame < args.frames; frame++) {
        const file = join(out, `frame-${String(frame).padStart(3, '0')}.png`);
        writeFileSync(file, encodePng(env.observe().image, args.upscale));
        files.push(file);
        // The frame after the episode ends shows how it ended; there is nothing after that.
        if (done || frame + 1 === args.frames) break;
        for (let k = 0; k < args.every && !done; k++) {
          const result = env.step(expert ? expert.act(env.signals()) : still);
          done = result.done;
          success = result.success;
        }
      }
      const report = {
        task: info.taskId,
        seed: info.seed,
        split: info.split,
        instruction: info.instruction,
        actor: args.actor,
        steps: env.signals().step,
        done,
        success,
        frames: files,
      };
      if (args.json) printJson(report);
      else {
        printPairs(`grape sim view: ${info.taskId}, seed ${info.seed}, ${info.split}`, [
          ['instruction', info.instruction],
          ['frames', `${files.length} in ${out}`],
          ['steps', `${report.steps} by the ${args.actor === 'expert' ? 'scripted expert' : 'still robot'}`],
          [
            'outcome',
            done ? (success ? 'success' : 'failure (time out)') : 'not finished (more --frames or --every)',
          ],
        ]);
      }
    } finally {
      env.close();
    }
  },
};
