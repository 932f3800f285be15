// A model package directory: policy.json (the manifest), encoder.onnx, head.safetensors and
// adapters/<id>.safetensors. Loading checks that the three files agree with each other — encoder
// inputs and output against the observation spec and the head, head tensors against the head
// description and the action spec — and names the file and field of the first disagreement.
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rename, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import { headParameters, type HeadSpec } from '../native/head-types.js';
import { ModelPackageError } from './model-package-error.js';
import { parseManifestText, type ModelManifest } from './model-manifest.js';
import { readOnnxSignature, type OnnxSignature, type OnnxValue } from './onnx/onnx-signature.js';
import {
  parseSafetensors,
  tensorToFloat32,
  writeSafetensors,
  type SafetensorsFile,
  type Tensor,
} from './safetensors.js';

export const PACKAGE_FILES = {
  manifest: 'policy.json',
  encoder: 'encoder.onnx',
  head: 'head.safetensors',
  adapters: 'adapters',
} as const;

/** The checkpoint id of the package's own head (adapters name their parent by checkpoint id). */
export const BASE_CHECKPOINT = 'base';

export type AdapterKind = 'lora' | 'full';

/** What an adapter's safetensors header says about it (string metadata, as safetensors stores it). */
export interface AdapterInfo {
  id: string;
  file: string;
  kind: AdapterKind;
  /** Checkpoint it was trained from: 'base' or another adapter's id. */
  parent: string;
  /** e.g. 'sft', 'tpo', 'step-dpo'. */
  objective: string;
  lora?: { rank: number; alpha: number };
  /** Everything else in the header (data, hyperparameters, created, ...). */
  metadata: Record<string, string>;
}

export interface ModelPackage {
  dir: string;
  manifest: ModelManifest;
  encoderPath: string;
  encoderBytes: number;
  encoderSignature: OnnxSignature;
  headSpec: HeadSpec;
  headParameters: Record<string, Float32Array>;
  headMetadata: Record<string, string>;
  /** First 16 hex digits of the head file's SHA-256. */
  headSha256: string;
  adapters: AdapterInfo[];
}

export interface PackageContents {
  manifest: ModelManifest;
  encoder: Uint8Array;
  head: Record<string, Float32Array>;
  headMetadata?: Record<string, string>;
}

const ADAPTER_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** The head the manifest describes (without LoRA). */
export function headSpecOf(m: ModelManifest): HeadSpec {
  return {
    kind: m.head.kind,
    inputDim: m.head.inputDim,
    ...(m.head.hidden ? { hidden: [...m.head.hidden] } : {}),
    actionDims: m.action.dims,
    bins: m.action.bins,
    ...(m.head.activation ? { activation: m.head.activation } : {}),
  };
}

/** What fixes each dim of a head parameter's shape (policy.json fields, the LoRA rank), for errors. */
function shapeSources(m: ModelManifest, name: string): string {
  let out = 'policy.json action.bins';
  let inp = 'policy.json head.inputDim';
  if (m.head.kind === 'mlp') {
    const layer = Number(/^layers\.(\d+)\./.exec(name)?.[1] ?? 0);
    out =
      layer === (m.head.hidden?.length ?? 0)
        ? 'policy.json action.dims × action.bins'
        : `policy.json head.hidden[${layer}]`;
    if (layer > 0) inp = `policy.json head.hidden[${layer - 1}]`;
  }
  const rank = "the adapter's lora_rank";
  if (name.endsWith('.bias')) return out;
  if (name.endsWith('.lora_A')) return `${rank} and ${inp}`;
  if (name.endsWith('.lora_B')) return `${out} and ${rank}`;
  return `${out} and ${inp}`;
}

/** In-memory parameters as tensors: shaped as `spec` names them where the sizes fit, else flat. */
function asTensors(params: Record<string, Float32Array>, spec: HeadSpec): Map<string, Tensor> {
  const shapes = new Map(headParameters(spec).map((p) => [p.name, p.shape]));
  return new Map(
    Object.entries(params).map(([name, data]): [string, Tensor] => {
      const shape = shapes.get(name);
      const fits = shape !== undefined && shape.reduce((a, b) => a * b, 1) === data.length;
      return [name, { dtype: 'F32', shape: fits ? shape : [data.length], data }];
    }),
  );
}

/**
 * Float32 parameters named and shaped as `spec` needs. A LoRA adapter (`lora`) holds the factors and
 * the biases trained with them; what it leaves out stays as the base head has it (factors: zero).
 */
function checkHeadTensors(
  tensors: Map<string, Tensor>,
  spec: HeadSpec,
  m: ModelManifest,
  file: string,
  lora: boolean,
): Record<string, Float32Array> {
  const expected = headParameters(spec).filter((p) => (lora ? p.lora || p.name.endsWith('.bias') : !p.lora));
  const params: Record<string, Float32Array> = {};
  for (const p of expected) {
    const t = tensors.get(p.name);
    if (!t) {
      if (lora) continue;
      throw new ModelPackageError(file, p.name, `missing; the ${spec.kind} head of policy.json needs it`);
    }
    if (t.shape.join() !== p.shape.join())
      throw new ModelPackageError(
        file,
        p.name,
        `has shape [${t.shape.join(', ')}]; ${shapeSources(m, p.name)} need [${p.shape.join(', ')}]`,
      );
    let values: Float32Array;
    try {
      values = tensorToFloat32(t, `tensor '${p.name}'`);
    } catch (error) {
      throw new ModelPackageError(file, p.name, (error as Error).message);
    }
    const bad = values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new ModelPackageError(file, `${p.name}[${bad}]`, `is ${values[bad]}`);
    params[p.name] = values;
  }
  for (const name of tensors.keys()) {
    if (!expected.some((p) => p.name === name))
      throw new ModelPackageError(
        file,
        name,
        `unexpected tensor (expected ${lora ? 'LoRA factors and biases' : `the ${spec.kind} head's parameters`}: ${expected.map((p) => p.name).join(', ')})`,
      );
  }
  return params;
}

function formatDims(dims: readonly (number | string | null)[]): string {
  return `[${dims.map((d) => (d === null ? '?' : d)).join(', ')}]`;
}

interface Feed {
  field: string;
  type: 'float' | 'int64';
  dims: number[];
}

/** The encoder inputs the manifest feeds, with the per-step dims each must have. */
function feeds(m: ModelManifest): Map<string, Feed> {
  const { image, depth, joints, endEffector } = m.observation;
  const out = new Map<string, Feed>();
  out.set(image.input, {
    field: 'observation.image',
    type: 'float',
    dims: [image.channels === 'mono' ? 1 : 3, image.height, image.width],
  });
  if (depth)
    out.set(depth.input, { field: 'observation.depth', type: 'float', dims: [1, depth.height, depth.width] });
  out.set(joints.input, { field: 'observation.joints', type: 'float', dims: [joints.names.length] });
  if (endEffector) out.set(endEffector.input, { field: 'observation.endEffector', type: 'float', dims: [7] });
  out.set(m.instruction.input, { field: 'instruction', type: 'int64', dims: [m.instruction.maxTokens] });
  return out;
}

/** Dims agree where the file fixes them; the batch dim (first) may be anything. */
function dimsAgree(value: OnnxValue, perStep: readonly number[]): boolean {
  if (value.dims.length !== perStep.length + 1) return false;
  return perStep.every((d, i) => {
    const v = value.dims[i + 1];
    return typeof v !== 'number' || v === d;
  });
}

function checkEncoder(sig: OnnxSignature, m: ModelManifest, file: string): void {
  const fed = feeds(m);
  for (const input of sig.inputs) {
    const feed = fed.get(input.name);
    if (!feed)
      throw new ModelPackageError(
        file,
        `input '${input.name}'`,
        `is not fed by policy.json (it feeds: ${[...fed.keys()].join(', ')})`,
      );
    if (input.type !== feed.type)
      throw new ModelPackageError(
        file,
        `input '${input.name}'`,
        `is ${input.type}; policy.json ${feed.field} feeds ${feed.type}`,
      );
    if (!dimsAgree(input, feed.dims))
      throw new ModelPackageError(
        file,
        `input '${input.name}'`,
        `has dims ${formatDims(input.dims)}; policy.json ${feed.field} feeds [n, ${feed.dims.join(', ')}]`,
      );
  }
  for (const [name, feed] of fed) {
    if (!sig.inputs.some((i) => i.name === name))
      throw new ModelPackageError(
        file,
        `input '${name}'`,
        `missing; policy.json ${feed.field}.input names it (encoder inputs: ${sig.inputs.map((i) => i.name).join(', ') || 'none'})`,
      );
  }
  const output = sig.outputs.find((o) => o.name === m.encoder.output);
  if (!output)
    throw new ModelPackageError(
      file,
      `output '${m.encoder.output}'`,
      `missing; policy.json encoder.output names it (outputs: ${sig.outputs.map((o) => o.name).join(', ')})`,
    );
  if (output.type !== 'float')
    throw new ModelPackageError(
      file,
      `output '${output.name}'`,
      `is ${output.type}; the head takes float features`,
    );
  if (!dimsAgree(output, m.encoder.outputShape))
    throw new ModelPackageError(
      file,
      `output '${output.name}'`,
      `has dims ${formatDims(output.dims)}; policy.json encoder.outputShape (the head's input) is [n, ${m.encoder.outputShape.join(', ')}]`,
    );
}

/** Checks the parts of a package about to be written against each other, as loading checks files. */
function checkPackageContents(c: PackageContents, dir: string): void {
  const encoderPath = join(dir, PACKAGE_FILES.encoder);
  checkEncoder(readOnnxSignature(c.encoder, encoderPath), c.manifest, encoderPath);
  const spec = headSpecOf(c.manifest);
  checkHeadTensors(asTensors(c.head, spec), spec, c.manifest, join(dir, PACKAGE_FILES.head), false);
}

async function readPackageFile(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ModelPackageError(
      path,
      '',
      code === 'ENOENT' ? 'missing from the model package' : (error as Error).message,
    );
  }
}

function parseTensors(bytes: Uint8Array, file: string): SafetensorsFile {
  try {
    return parseSafetensors(bytes, file);
  } catch (error) {
    throw new ModelPackageError(file, '', (error as Error).message.replace(`${file}: `, ''));
  }
}

function adapterInfo(id: string, file: string, metadata: Record<string, string>): AdapterInfo {
  const field = (key: string): string => {
    const v = metadata[key];
    if (v === undefined || v === '') throw new ModelPackageError(file, `__metadata__.${key}`, 'missing');
    return v;
  };
  const kind = field('kind');
  if (kind !== 'lora' && kind !== 'full')
    throw new ModelPackageError(file, '__metadata__.kind', `is '${kind}'; expected 'lora' or 'full'`);
  const info: AdapterInfo = {
    id,
    file,
    kind,
    parent: field('parent'),
    objective: field('objective'),
    metadata,
  };
  if (kind === 'lora') {
    const rank = Number(field('lora_rank'));
    const alpha = Number(field('lora_alpha'));
    if (!Number.isInteger(rank) || rank < 1)
      throw new ModelPackageError(
        file,
        '__metadata__.lora_rank',
        `is '${metadata.lora_rank}'; expected a positive integer`,
      );
    if (!Number.isFinite(alpha))
      throw new ModelPackageError(
        file,
        '__metadata__.lora_alpha',
        `is '${metadata.lora_alpha}'; expected a number`,
      );
    info.lora = { rank, alpha };
  }
  return info;
}

async function listAdapters(dir: string): Promise<AdapterInfo[]> {
  const folder = join(dir, PACKAGE_FILES.adapters);
  let names: string[];
  try {
    names = await readdir(folder);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const adapters: AdapterInfo[] = [];
  for (const name of names.filter((n) => n.endsWith('.safetensors')).sort()) {
    const file = join(folder, name);
    const id = name.slice(0, -'.safetensors'.length);
    if (!ADAPTER_ID.test(id)) throw new ModelPackageError(file, '', `'${id}' is not a valid adapter id`);
    adapters.push(adapterInfo(id, file, parseTensors(await readPackageFile(file), file).metadata));
  }
  return adapters;
}

export async function loadModelPackage(dirArg: string): Promise<ModelPackage> {
  const dir = resolve(dirArg);
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory())
    throw new ModelPackageError(dir, '', 'not a model package directory (missing or not a directory)');
  const manifestPath = join(dir, PACKAGE_FILES.manifest);
  const manifest = parseManifestText((await readPackageFile(manifestPath)).toString('utf8'), manifestPath);

  const encoderPath = join(dir, PACKAGE_FILES.encoder);
  const encoderFile = await readPackageFile(encoderPath);
  const encoderSignature = readOnnxSignature(encoderFile, encoderPath);
  checkEncoder(encoderSignature, manifest, encoderPath);

  const headPath = join(dir, PACKAGE_FILES.head);
  const headBytes = await readPackageFile(headPath);
  const head = parseTensors(headBytes, headPath);
  const headSpec = headSpecOf(manifest);
  return {
    dir,
    manifest,
    encoderPath,
    encoderBytes: encoderFile.length,
    encoderSignature,
    headSpec,
    headParameters: checkHeadTensors(head.tensors, headSpec, manifest, headPath, false),
    headMetadata: head.metadata,
    headSha256: createHash('sha256').update(headBytes).digest('hex').slice(0, 16),
    adapters: await listAdapters(dir),
  };
}

export interface LoadedAdapter {
  info: AdapterInfo;
  /** The head spec with the adapter applied (LoRA rank and alpha for a LoRA adapter). */
  spec: HeadSpec;
  /** Parameters to set on top of the base head's (full: all of them; LoRA: the factors). */
  parameters: Record<string, Float32Array>;
}

export async function readAdapter(pkg: ModelPackage, id: string): Promise<LoadedAdapter> {
  const info = pkg.adapters.find((a) => a.id === id);
  if (!info)
    throw new ModelPackageError(
      join(pkg.dir, PACKAGE_FILES.adapters),
      id,
      `no such adapter (adapters: ${pkg.adapters.map((a) => a.id).join(', ') || 'none'})`,
    );
  const spec: HeadSpec = info.lora ? { ...pkg.headSpec, lora: info.lora } : pkg.headSpec;
  const file = parseTensors(await readPackageFile(info.file), info.file);
  return {
    info,
    spec,
    parameters: checkHeadTensors(file.tensors, spec, pkg.manifest, info.file, info.kind === 'lora'),
  };
}

async function writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

/**
 * Writes a package after checking its parts agree (a broken package is never written). Refuses to
 * overwrite an existing policy.json unless `overwrite`.
 */
export async function writeModelPackage(
  dirArg: string,
  contents: PackageContents,
  options: { overwrite?: boolean } = {},
): Promise<string> {
  const dir = resolve(dirArg);
  checkPackageContents(contents, dir);
  const manifestPath = join(dir, PACKAGE_FILES.manifest);
  if (!options.overwrite && (await stat(manifestPath).catch(() => undefined)))
    throw new ModelPackageError(manifestPath, '', 'already exists (pass overwrite to replace the package)');
  await mkdir(join(dir, PACKAGE_FILES.adapters), { recursive: true });
  await writeAtomic(join(dir, PACKAGE_FILES.encoder), contents.encoder);
  await writeSafetensors(
    join(dir, PACKAGE_FILES.head),
    Object.fromEntries(asTensors(contents.head, headSpecOf(contents.manifest))),
    contents.headMetadata ?? {},
  );
  // The manifest last: a package interrupted while being written has no policy.json and never loads.
  await writeAtomic(manifestPath, `${JSON.stringify(contents.manifest, null, 2)}\n`);
  return dir;
}

export interface AdapterToWrite {
  kind: AdapterKind;
  parent: string;
  objective: string;
  lora?: { rank: number; alpha: number };
  /** Further header entries: data, hyperparameters (JSON text), created, ... */
  metadata?: Record<string, string>;
  parameters: Record<string, Float32Array>;
}

/** Writes adapters/<id>.safetensors after checking its tensors against the package's head. */
export async function writeAdapter(
  pkg: ModelPackage,
  id: string,
  adapter: AdapterToWrite,
): Promise<AdapterInfo> {
  const file = join(pkg.dir, PACKAGE_FILES.adapters, `${id}.safetensors`);
  if (!ADAPTER_ID.test(id)) throw new ModelPackageError(file, '', `'${id}' is not a valid adapter id`);
  if ((adapter.kind === 'lora') !== (adapter.lora !== undefined))
    throw new ModelPackageError(
      file,
      '__metadata__.kind',
      'a LoRA adapter needs lora { rank, alpha }, a full one none',
    );
  const metadata: Record<string, string> = {
    ...adapter.metadata,
    kind: adapter.kind,
    parent: adapter.parent,
    objective: adapter.objective,
    ...(adapter.lora ? { lora_rank: String(adapter.lora.rank), lora_alpha: String(adapter.lora.alpha) } : {}),
  };
  const info = adapterInfo(id, file, metadata);
  const spec: HeadSpec = info.lora ? { ...pkg.headSpec, lora: info.lora } : pkg.headSpec;
  const tensors = asTensors(adapter.parameters, spec);
  checkHeadTensors(tensors, spec, pkg.manifest, file, adapter.kind === 'lora');
  await mkdir(join(pkg.dir, PACKAGE_FILES.adapters), { recursive: true });
  await writeSafetensors(file, Object.fromEntries(tensors), metadata);
  pkg.adapters = [...pkg.adapters.filter((a) => a.id !== id), info].sort((a, b) => a.id.localeCompare(b.id));
  return info;
}
