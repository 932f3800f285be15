// grape model <subcommand>: model packages (policy.json, encoder.onnx, head.safetensors, adapters/).
import type { CommandModule } from 'yargs';

import type { GlobalArgs } from '../global-args.js';
import { modelInfoCommand } from './model-info.js';
import { modelInitCommand } from './model-init.js';

export const modelCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'model <subcommand>',
  describe: 'Build the default model package or inspect one',
  builder: (y) =>
    y
      .command(modelInitCommand)
      .command(modelInfoCommand)
      .demandCommand(1, 'name a model subcommand (grape model --help)'),
  handler: () => undefined,
};
