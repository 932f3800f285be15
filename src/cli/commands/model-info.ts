// grape model info <dir>: what a model package is (action space, observation, instruction tokenizer,
// encoder, head, adapters), after the same checks loading it for a robot runs.
import type { CommandModule } from 'yargs';

import { ModelPackageError } from '../../policy/model-package-error.js';
import { loadModelPackage, PACKAGE_FILES, type ModelPackage } from '../../policy/model-package.js';
import type { OnnxValue } from '../../policy/onnx/onnx-signature.js';
import { printJson, printPairs } from '../output.js';
import type { GlobalArgs } from '../global-args.js';

interface Args extends GlobalArgs {
  dir: string;
  json: boolean;
}

export function modelInfoJson(pkg: ModelPackage) {
  const m = pkg.manifest;
  return {
    dir: pkg.dir,
    name: m.name,
    version: m.version,
    description: m.description ?? '',
    controlRateHz: m.controlRateHz,
    action: {
      dims: m.action.names.map((name, d) => ({
        name,
        q01: m.action.normalization.q01[d]!,
        q99: m.action.normalization.q99[d]!,
        binary: m.action.binary.includes(name),
      })),
      bins: m.action.bins,
      binning: m.action.binning,
    },
    observation: m.observation,
    instruction: m.instruction,
    encoder: {
      file: PACKAGE_FILES.encoder,
      bytes: pkg.encoderBytes,
      opset: pkg.encoderSignature.opset,
      producer: pkg.encoderSignature.producer,
      inputs: pkg.encoderSignature.inputs,
      outputs: pkg.encoderSignature.outputs,
      output: m.encoder.output,
      outputShape: m.encoder.outputShape,
      blocks: m.encoder.blocks ?? [],
    },
    head: {
      file: PACKAGE_FILES.head,
      ...m.head,
      parameters: Object.values(pkg.headParameters).reduce((n, p) => n + p.length, 0),
      sha256: pkg.headSha256,
      metadata: pkg.headMetadata,
    },
    adapters: pkg.adapters.map((a) => ({
      id: a.id,
      kind: a.kind,
      parent: a.parent,
      objective: a.objective,
      ...(a.lora ? { lora: a.lora } : {}),
      metadata: a.metadata,
    })),
  };
}

function dims(v: OnnxValue): string {
  return `${v.name} ${v.type}[${v.dims.map((d) => d ?? '?').join(', ')}]`;
}

function printInfo(pkg: ModelPackage): void {
  const info = modelInfoJson(pkg);
  const { image, depth, joints, endEffector } = info.observation;
  const ins = info.instruction;
  const crop = (c: typeof image.crop) =>
    c ? `, crop left ${c.left} top ${c.top} width ${c.width} height ${c.height}` : '';
  const rows: [string, string][] = [
    ['model', `${info.name}@${info.version}${info.description ? ` — ${info.description}` : ''}`],
    ['control rate', `${info.controlRateHz} Hz`],
    ['action', `${info.action.dims.length} dims × ${info.action.bins} bins (${info.action.binning} binning)`],
    ...info.action.dims.map((d): [string, string] => [
      `  ${d.name}`,
      d.binary ? `binary: ${d.q01} or ${d.q99}` : `q01 ${d.q01}, q99 ${d.q99}`,
    ]),
    [
      'image',
      `input '${image.input}': ${image.width}×${image.height} ${image.channels}, ${image.resize} resize${crop(image.crop)}, ` +
        `mean [${image.mean.join(', ')}], std [${image.std.join(', ')}]`,
    ],
    ...(depth
      ? [
          [
            'depth',
            `input '${depth.input}': ${depth.width}×${depth.height}, ${depth.resize} resize${crop(depth.crop)}, ` +
              `${depth.minMeters}–${depth.maxMeters} m`,
          ] as [string, string],
        ]
      : []),
    ['joints', `input '${joints.input}': ${joints.names.join(', ')}`],
    ...(endEffector
      ? [
          [
            'end effector',
            `input '${endEffector.input}': pose x y z qx qy qz qw${endEffector.frame ? ` in ${endEffector.frame}` : ''}`,
          ] as [string, string],
        ]
      : []),
    [
      'instruction',
      `input '${ins.input}': ${ins.tokenizer}, vocabulary ${ins.vocabSize}, at most ${ins.maxTokens} tokens` +
        (ins.ngrams === 2 ? ' (words and word pairs)' : ' (words)'),
    ],
    [
      'encoder',
      `${info.encoder.file}, ${info.encoder.bytes} bytes, opset ${info.encoder.opset}, ${info.encoder.producer || 'unknown producer'}`,
    ],
    ['  inputs', info.encoder.inputs.map(dims).join('; ')],
    ['  output', dims(info.encoder.outputs.find((o) => o.name === info.encoder.output)!)],
    ...info.encoder.blocks.map((b): [string, string] => [
      `  ${b.name}`,
      `[${b.offset}, ${b.offset + b.size}) ${b.description}`,
    ]),
    [
      'head',
      `${info.head.file}, ${info.head.kind} ${[info.head.inputDim, ...(info.head.hidden ?? [])].join(' → ')} → ` +
        `${info.action.dims.length}×${info.action.bins}${info.head.activation ? ` (${info.head.activation})` : ''}, ` +
        `${info.head.parameters} parameters, sha256 ${info.head.sha256}`,
    ],
    [
      'adapters',
      info.adapters.length === 0
        ? 'none'
        : info.adapters.map((a) => `${a.id} (${a.kind}, ${a.objective}, from ${a.parent})`).join('; '),
    ],
  ];
  printPairs(`grape model info: ${info.dir}`, rows);
}

export const modelInfoCommand: CommandModule<GlobalArgs, Args> = {
  command: 'info <dir>',
  describe: 'Check a model package and show its action space, observation, encoder, head and adapters',
  builder: (y) =>
    y
      .positional('dir', { type: 'string', demandOption: true, describe: 'model package directory' })
      .option('json', { type: 'boolean', default: false, describe: 'print JSON' })
      .strict(),
  handler: async (args) => {
    let pkg: ModelPackage;
    try {
      pkg = await loadModelPackage(args.dir);
    } catch (error) {
      if (!(error instanceof ModelPackageError)) throw error;
      process.stderr.write(`grape model info: ${error.message}\n`);
      process.exitCode = 1;
      return;
    }
    if (args.json) printJson(modelInfoJson(pkg));
    else printInfo(pkg);
  },
};
