// grape costs generate: asks the configured VLM for a task's cost spec from the instruction, the
// objective and the first camera frame, of a recorded episode (--episode), a simulator task's scene
// (--seed), or an image file (--image with --instruction). The answer is validated and stored as a new
// version, cached by (task, objective, model, prompt version); a person approves it before scoring
// uses it. The API key comes from the environment only.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';

import type { CommandModule } from 'yargs';

import { PROMPT_VERSION, type SceneObject } from '../../gcpg/cost-prompt.js';
import { generateCostSpec, type VlmQuestion } from '../../gcpg/cost-spec-generation.js';
import { costSpecText } from '../../gcpg/cost-spec-text.js';
import { readEpisodeRecording } from '../../gcpg/episode-recording.js';
import { loadRobotSignalConfig, type RobotSignalConfig } from '../../gcpg/robot-signal-config.js';
import { vlmConfigFromEnvironment } from '../../gcpg/vlm-config.js';
import { VlmAnswerError, VlmCostClient } from '../../gcpg/vlm-cost-client.js';
import { EpisodeIndex } from '../../episode/episode-index.js';
import type { CompressedImage } from '../../messages/ros-messages.js';
import { SimEnvironment } from '../../sim/sim-environment.js';
import { TASKS } from '../../sim/task-registry.js';
import type { GlobalArgs } from '../global-args.js';
import { printJson } from '../output.js';
import { reportingErrors, specStore, withSpecKey, type SpecKeyArgs } from './costs-options.js';

interface Args extends SpecKeyArgs {
  episode?: string;
  seed: number;
  image?: string;
  instruction?: string;
  signals?: string;
  'vlm-model'?: string;
  'vlm-base-url'?: string;
  refresh: boolean;
}

interface Context extends VlmQuestion {
  /** where the frame came from, for people */
  from: string;
}

/** The objects a robot signal configuration names, with their roles. */
function configuredObjects(config: RobotSignalConfig | undefined): SceneObject[] {
  const roleOf = new Map(
    Object.entries(config?.roles ?? {}).map(([role, name]) => [name, role as SceneObject['role']]),
  );
  return Object.keys(config?.objects ?? {}).map((name) => {
    const role = roleOf.get(name);
    return role ? { name, role } : { name };
  });
}

async function simContext(args: Args): Promise<Context> {
  const env = await SimEnvironment.create();
  try {
    const info = env.reset(args.task, args.seed);
    const { scene } = env.taskEpisode.setup;
    const roleOf = new Map<string, SceneObject['role']>([[info.roles.target, 'target']]);
    if (info.roles.destination !== undefined) roleOf.set(info.roles.destination, 'destination');
    const objects = [...scene.objects, ...scene.fixtures].map((o): SceneObject => {
      const role = roleOf.get(o.name);
      return { name: o.name, label: o.label, ...(role ? { role } : {}) };
    });
    return {
      request: {
        task: args.task,
        objective: args.objective,
        instruction: info.instruction,
        objects,
        pixelPoints: false,
      },
      firstFrame: env.observe().image,
      from: `simulator ${args.task} seed ${args.seed}`,
    };
  } finally {
    env.close();
  }
}

async function episodeContext(
  args: Args,
  id: string,
  config: RobotSignalConfig | undefined,
): Promise<Context> {
  const index = EpisodeIndex.open(args['data-dir']);
  try {
    const episode = index.episode(id);
    if (!episode) throw new Error(`no episode ${id} in ${args['data-dir']}`);
    if (episode.taskId !== args.task)
      throw new Error(`episode ${id} is of task ${episode.taskId}, not ${args.task}`);
    const recording = await readEpisodeRecording(index.bagDir(episode), {
      ...(episode.sourceBag !== undefined ? { sourceBag: episode.sourceBag } : {}),
      ...(config ? { robotConfig: config } : {}),
    });
    if (!recording.firstImage) throw new Error(`episode ${id} has no camera frame`);
    const signals = recording.signals;
    const tracked = signals ? [...new Set(signals.samples.flatMap((s) => Object.keys(s.objects)))] : [];
    const roleOf = new Map(
      Object.entries(signals?.roles ?? {}).map(([role, name]) => [name, role as SceneObject['role']]),
    );
    const objects = signals
      ? [...tracked, ...Object.keys(signals.staticPoints)].map((name): SceneObject => {
          const role = roleOf.get(name);
          return role ? { name, role } : { name };
        })
      : configuredObjects(config);
    return {
      request: {
        task: args.task,
        objective: args.objective,
        instruction: episode.instruction,
        objects,
        pixelPoints: signals?.pixelLifter !== undefined,
      },
      firstFrame: recording.firstImage,
      from: `episode ${id}`,
    };
  } finally {
    index.close();
  }
}

function imageContext(args: Args, file: string, config: RobotSignalConfig | undefined): Context {
  if (args.instruction === undefined) throw new Error('--image needs --instruction (what the robot is told)');
  const ext = extname(file).toLowerCase();
  const format = ext === '.png' ? 'png' : ext === '.jpg' || ext === '.jpeg' ? 'jpeg' : undefined;
  if (!format) throw new Error(`${file}: the image must be a .png or .jpg file`);
  const firstFrame: CompressedImage = {
    header: { stamp: { sec: 0, nanosec: 0 }, frame_id: '' },
    format,
    data: readFileSync(file),
  };
  return {
    request: {
      task: args.task,
      objective: args.objective,
      instruction: args.instruction,
      objects: configuredObjects(config),
      pixelPoints: config?.camera !== undefined,
    },
    firstFrame,
    from: file,
  };
}

export const costsGenerateCommand: CommandModule<GlobalArgs, Args> = {
  command: 'generate',
  describe:
    'Ask the VLM (GRAPE_VLM_BASE_URL, GRAPE_VLM_MODEL, GRAPE_VLM_API_KEY) for a cost spec and store it',
  builder: (y) =>
    withSpecKey(y)
      .option('episode', {
        type: 'string',
        describe: "use this recorded episode's instruction and first camera frame",
      })
      .option('seed', { type: 'number', default: 0, describe: 'simulator tasks: the scene to show the VLM' })
      .option('image', { type: 'string', describe: 'a .png/.jpg first frame (with --instruction)' })
      .option('instruction', { type: 'string', describe: 'the instruction, with --image' })
      .option('signals', {
        type: 'string',
        describe: 'robot signal configuration (YAML): the objects the spec may name',
      })
      .option('vlm-model', { type: 'string', describe: 'model (default $GRAPE_VLM_MODEL, else gpt-4o)' })
      .option('vlm-base-url', {
        type: 'string',
        describe: 'OpenAI-compatible base URL (default $GRAPE_VLM_BASE_URL, else OpenAI)',
      })
      .option('refresh', {
        type: 'boolean',
        default: false,
        describe: 'ask again even if this model answered this prompt before',
      })
      .strict(),
  handler: (args) =>
    reportingErrors('costs generate', async () => {
      const vlm = vlmConfigFromEnvironment(process.env, {
        ...(args['vlm-model'] !== undefined ? { model: args['vlm-model'] } : {}),
        ...(args['vlm-base-url'] !== undefined ? { baseUrl: args['vlm-base-url'] } : {}),
      });
      const config = args.signals !== undefined ? loadRobotSignalConfig(args.signals) : undefined;
      let from = '';
      const question = async (): Promise<VlmQuestion> => {
        let context: Context;
        if (args.episode !== undefined) context = await episodeContext(args, args.episode, config);
        else if (args.image !== undefined) context = imageContext(args, args.image, config);
        else if (TASKS.some((t) => t.id === args.task)) context = await simContext(args);
        else
          throw new Error(
            `${args.task} is not a simulator task: show the VLM an --episode, or an --image with --instruction`,
          );
        from = context.from;
        return context;
      };
      let generated;
      try {
        generated = await generateCostSpec(specStore(args), new VlmCostClient(vlm), args, question, {
          refresh: args.refresh,
        });
      } catch (error) {
        if (error instanceof VlmAnswerError && args.json)
          printJson({ error: error.message, answers: error.answers });
        throw error;
      }
      const { record, cached } = generated;
      if (args.json) {
        printJson({ cached, ...(from ? { from } : {}), ...record });
        return;
      }
      const how = cached
        ? `${vlm.model}'s cached answer to ${PROMPT_VERSION} (--refresh asks again)`
        : `stored from ${vlm.model} (shown ${from})`;
      process.stdout.write(
        `${record.id} (${record.hash}): ${how}\n\n${costSpecText(record.spec)}\n\n` +
          `approve it for scoring: grape costs approve --task ${args.task} --objective ${args.objective} --version ${record.version}\n`,
      );
    }),
};
