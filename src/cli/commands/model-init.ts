// grape model init: writes the default model package (generated encoder + freshly initialized mlp
// head) from a seed, so the same command gives the same files on every machine.
import { join } from 'node:path';

import type { CommandModule } from 'yargs';

import { buildDefaultModel, DEFAULT_MODEL_NAME } from '../../policy/default-model/default-model.js';
import { ModelPackageError } from '../../policy/model-package-error.js';
import { loadModelPackage, writeModelPackage } from '../../policy/model-package.js';
import { printJson, printPairs } from '../output.js';
import type { GlobalArgs } from '../global-args.js';

interface Args extends GlobalArgs {
  out: string | undefined;
  seed: number;
  force: boolean;
  json: boolean;
}

export const modelInitCommand: CommandModule<GlobalArgs, Args> = {
  command: 'init',
  describe: 'Build the default model package (encoder for the embedded simulator, untrained mlp head)',
  builder: (y) =>
    y
      .option('out', {
        type: 'string',
        describe: `package directory (default: <data-dir>/models/${DEFAULT_MODEL_NAME})`,
      })
      .option('seed', { type: 'number', default: 0, describe: 'seed of the generated weights' })
      .option('force', { type: 'boolean', default: false, describe: 'replace an existing package there' })
      .option('json', { type: 'boolean', default: false, describe: 'print JSON' })
      .check((a) => {
        if (!Number.isSafeInteger(a.seed) || a.seed < 0)
          throw new Error(`--seed must be a non-negative integer, got ${a.seed}`);
        return true;
      })
      .strict(),
  handler: async (args) => {
    const out = args.out ?? join(args['data-dir'], 'models', DEFAULT_MODEL_NAME);
    let dir: string;
    try {
      dir = await writeModelPackage(out, buildDefaultModel(args.seed), { overwrite: args.force });
    } catch (error) {
      if (!(error instanceof ModelPackageError)) throw error;
      process.stderr.write(`grape model init: ${error.message}\n`);
      process.exitCode = 1;
      return;
    }
    const pkg = await loadModelPackage(dir);
    const m = pkg.manifest;
    const summary = {
      dir,
      name: m.name,
      version: m.version,
      seed: args.seed,
      features: m.head.inputDim,
      head: `${m.head.kind} ${[m.head.inputDim, ...(m.head.hidden ?? []), `${m.action.dims}×${m.action.bins}`].join(' → ')}`,
      headSha256: pkg.headSha256,
    };
    if (args.json) printJson(summary);
    else
      printPairs(`grape model init: wrote ${dir}`, [
        ['model', `${m.name}@${m.version} (seed ${args.seed})`],
        ['encoder', `encoder.onnx, ${pkg.encoderBytes} bytes, ${summary.features} features`],
        [
          'head',
          `head.safetensors, ${summary.head} (untrained: train it with SFT), sha256 ${pkg.headSha256}`,
        ],
      ]);
  },
};
