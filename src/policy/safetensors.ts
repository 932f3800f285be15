// safetensors (https://github.com/huggingface/safetensors) read/write: an 8-byte little-endian
// header length, a JSON header { name: { dtype, shape, data_offsets }, __metadata__ }, then the
// tensor bytes. Every malformed file is an error naming the file and what is wrong with it.
import { readFile, rename, writeFile } from 'node:fs/promises';

import { bf16ToFloat, halfToFloat } from '../native/half.js';

export type SafetensorsDType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

type TensorData =
  | Float64Array
  | Float32Array
  | Uint16Array
  | BigInt64Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint8Array;

export interface Tensor {
  dtype: SafetensorsDType;
  shape: number[];
  /** F16/BF16 as raw Uint16 bits; BOOL as Uint8. */
  data: TensorData;
}

export interface SafetensorsFile {
  metadata: Record<string, string>;
  tensors: Map<string, Tensor>;
}

export class SafetensorsError extends Error {
  override readonly name = 'SafetensorsError';
}

const DTYPES: Record<
  SafetensorsDType,
  { bytes: number; make: (buf: ArrayBuffer, off: number, n: number) => TensorData }
> = {
  F64: { bytes: 8, make: (b, o, n) => new Float64Array(b, o, n) },
  F32: { bytes: 4, make: (b, o, n) => new Float32Array(b, o, n) },
  F16: { bytes: 2, make: (b, o, n) => new Uint16Array(b, o, n) },
  BF16: { bytes: 2, make: (b, o, n) => new Uint16Array(b, o, n) },
  I64: { bytes: 8, make: (b, o, n) => new BigInt64Array(b, o, n) },
  I32: { bytes: 4, make: (b, o, n) => new Int32Array(b, o, n) },
  I16: { bytes: 2, make: (b, o, n) => new Int16Array(b, o, n) },
  I8: { bytes: 1, make: (b, o, n) => new Int8Array(b, o, n) },
  U8: { bytes: 1, make: (b, o, n) => new Uint8Array(b, o, n) },
  BOOL: { bytes: 1, make: (b, o, n) => new Uint8Array(b, o, n) },
};

const MAX_HEADER = 100 * 1024 * 1024;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function parseSafetensors(bytes: Uint8Array, source = '<buffer>'): SafetensorsFile {
  const fail = (why: string): never => {
    throw new SafetensorsError(`${source}: not a valid safetensors file: ${why}`);
  };
  if (bytes.length < 8) fail(`${bytes.length} bytes is too short for the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > MAX_HEADER) fail(`header length ${headerLength} exceeds ${MAX_HEADER}`);
  if (8 + headerLength > bytes.length)
    fail(`header length ${headerLength} runs past the end of the file (${bytes.length} bytes; truncated?)`);
  let header: unknown;
  try {
    header = JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)),
    );
  } catch (error) {
    fail(`header is not UTF-8 JSON (${(error as Error).message})`);
  }
  if (!isObject(header)) return fail('header is not a JSON object');
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const rawMeta = header.__metadata__;
  if (rawMeta !== undefined) {
    if (!isObject(rawMeta)) fail('__metadata__ must be an object of strings');
    for (const [k, v] of Object.entries(rawMeta as Record<string, unknown>)) {
      if (typeof v !== 'string') fail(`__metadata__.${k} must be a string`);
      metadata[k] = v as string;
    }
  }
  const entries: { name: string; dtype: SafetensorsDType; shape: number[]; begin: number; end: number }[] =
    [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (!isObject(raw)) return fail(`tensor '${name}' is not an object`);
    const dtype = raw.dtype;
    if (typeof dtype !== 'string' || !(dtype in DTYPES))
      fail(`tensor '${name}' has unsupported dtype ${JSON.stringify(dtype)}`);
    const shape = raw.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0))
      fail(`tensor '${name}' shape must be an array of non-negative integers`);
    const offsets = raw.data_offsets;
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && (o as number) >= 0)
    )
      fail(`tensor '${name}' data_offsets must be [begin, end]`);
    const [begin, end] = offsets as [number, number];
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    const expected = count * DTYPES[dtype as SafetensorsDType].bytes;
    if (end < begin || end - begin !== expected)
      fail(
        `tensor '${name}' has ${end - begin} bytes; shape [${(shape as number[]).join(', ')}] ${dtype as string} needs ${expected}`,
      );
    if (end > dataLength)
      fail(`tensor '${name}' ends at byte ${end}, past the data (${dataLength} bytes; truncated?)`);
    entries.push({ name, dtype: dtype as SafetensorsDType, shape: shape as number[], begin, end });
  }
  entries.sort((a, b) => a.begin - b.begin);
  let cursor = 0;
  for (const e of entries) {
    if (e.begin !== cursor)
      fail(`tensor '${e.name}' starts at byte ${e.begin}; expected ${cursor} (gap or overlap)`);
    cursor = e.end;
  }
  if (cursor !== dataLength) fail(`${dataLength - cursor} bytes after the last tensor`);
  const tensors = new Map<string, Tensor>();
  for (const e of entries) {
    const { bytes: size, make } = DTYPES[e.dtype];
    const offset = bytes.byteOffset + dataStart + e.begin;
    // Typed arrays need aligned offsets; copy when the file's layout does not give one.
    const aligned = offset % size === 0;
    const buffer = aligned
      ? bytes.buffer
      : new Uint8Array(bytes.subarray(dataStart + e.begin, dataStart + e.end)).buffer;
    tensors.set(e.name, {
      dtype: e.dtype,
      shape: e.shape,
      data: make(buffer as ArrayBuffer, aligned ? offset : 0, (e.end - e.begin) / size),
    });
  }
  return { metadata, tensors };
}

function dtypeOf(data: TensorData, declared?: SafetensorsDType): SafetensorsDType {
  if (declared) return declared;
  if (data instanceof Float32Array) return 'F32';
  if (data instanceof Float64Array) return 'F64';
  if (data instanceof Int32Array) return 'I32';
  if (data instanceof BigInt64Array) return 'I64';
  if (data instanceof Int16Array) return 'I16';
  if (data instanceof Int8Array) return 'I8';
  if (data instanceof Uint8Array) return 'U8';
  throw new SafetensorsError('a Uint16Array tensor needs an explicit dtype (F16 or BF16)');
}

export type TensorInput = Tensor | { data: TensorData; shape: number[]; dtype?: SafetensorsDType };

export function serializeSafetensors(
  tensors: Record<string, TensorInput>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  const names = Object.keys(tensors).sort();
  for (const name of names) {
    const t = tensors[name]!;
    const dtype = dtypeOf(t.data, t.dtype);
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length)
      throw new SafetensorsError(
        `tensor '${name}': shape [${t.shape.join(', ')}] holds ${count} values, data has ${t.data.length}`,
      );
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  // Pad with spaces so the data starts 8-byte aligned (readers can then view it without copying).
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let cursor = 8 + headerBytes.length;
  for (const name of names) {
    const d = tensors[name]!.data;
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), cursor);
    cursor += d.byteLength;
  }
  return out;
}

export async function readSafetensors(path: string): Promise<SafetensorsFile> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new SafetensorsError(`${path}: cannot read (${(error as Error).message})`);
  }
  return parseSafetensors(bytes, path);
}

/** Writes atomically (temporary file, then rename): a crash never leaves a half-written file. */
export async function writeSafetensors(
  path: string,
  tensors: Record<string, TensorInput>,
  metadata: Record<string, string> = {},
): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, serializeSafetensors(tensors, metadata));
  await rename(tmp, path);
}

/** Any floating tensor as Float32Array (F16/BF16 widened, F64 narrowed). */
export function tensorToFloat32(t: Tensor, name = 'tensor'): Float32Array {
  switch (t.dtype) {
    case 'F32':
      return t.data as Float32Array;
    case 'F64':
      return Float32Array.from(t.data as Float64Array);
    case 'F16':
      return Float32Array.from(t.data as Uint16Array, halfToFloat);
    case 'BF16':
      return Float32Array.from(t.data as Uint16Array, bf16ToFloat);
    default:
      throw new SafetensorsError(
        `${name} has dtype ${t.dtype}; expected a floating type (F32, F16, BF16, F64)`,
      );
  }
}
