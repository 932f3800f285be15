// One MCAP chunk as it goes to disk, in two steps: packing its records (CRC, zstd), which is the
// costly part and runs off the main thread while recording, then framing it: the Chunk record and
// its MessageIndex records, plus the ChunkIndex entry that points at them, once its place in the
// file is known. Shared by the recorder and by crash repair (which re-frames a chunk whose
// indexes were cut off).
import { crc32 } from 'node:zlib';

import * as zstd from '@foxglove/wasm-zstd';
import { McapRecordBuilder, type McapTypes } from '@mcap/core';

export type ChunkCompression = 'zstd' | 'none';

/** zstd level: the fastest, since a camera stream must keep up in real time. */
const ZSTD_LEVEL = 1;
/** Store a chunk uncompressed when zstd saves less than this share (noisy images): reads get faster. */
const MIN_SAVING = 0.05;

/** A chunk's records, ready to frame. */
export interface PackedRecords {
  /** as stored: compressed, or the records themselves */
  records: Uint8Array;
  compression: '' | 'zstd';
  uncompressedSize: number;
  uncompressedCrc: number;
}

/** What a chunk holds besides its records: time range and per-channel message offsets. */
export interface ChunkContents {
  messageStartTime: bigint;
  messageEndTime: bigint;
  indices: McapTypes.MessageIndex[];
}

export interface EncodedChunk {
  /** Chunk record + message index records, to write at `index.chunkStartOffset`. */
  bytes: Uint8Array;
  index: McapTypes.ChunkIndex;
}

/** Loads the zstd encoder (WebAssembly). */
export async function loadChunkCompression(): Promise<void> {
  await zstd.isLoaded;
}

/** CRC and compression of a chunk's records (after loadChunkCompression() for zstd). */
export function packChunkRecords(data: Uint8Array, compression: ChunkCompression): PackedRecords {
  const packed: PackedRecords = {
    records: data,
    compression: '',
    uncompressedSize: data.byteLength,
    uncompressedCrc: crc32(data),
  };
  if (compression === 'zstd') {
    const small = zstd.compress(data, ZSTD_LEVEL);
    if (small.byteLength < data.byteLength * (1 - MIN_SAVING)) {
      packed.records = small;
      packed.compression = 'zstd';
    }
  }
  return packed;
}

/** `out` may be reused from chunk to chunk (it keeps its capacity: no regrowing for every chunk). */
export function frameChunk(
  contents: ChunkContents,
  packed: PackedRecords,
  chunkStartOffset: bigint,
  out = new McapRecordBuilder(),
): EncodedChunk {
  out.reset();
  const chunkLength = out.writeChunk({
    messageStartTime: contents.messageStartTime,
    messageEndTime: contents.messageEndTime,
    uncompressedSize: BigInt(packed.uncompressedSize),
    uncompressedCrc: packed.uncompressedCrc,
    compression: packed.compression,
    records: packed.records,
  });
  const messageIndexOffsets = new Map<number, bigint>();
  let messageIndexLength = 0n;
  for (const messageIndex of contents.indices) {
    messageIndexOffsets.set(messageIndex.channelId, chunkStartOffset + chunkLength + messageIndexLength);
    messageIndexLength += out.writeMessageIndex(messageIndex);
  }
  return {
    bytes: out.buffer,
    index: {
      messageStartTime: contents.messageStartTime,
      messageEndTime: contents.messageEndTime,
      chunkStartOffset,
      chunkLength,
      messageIndexOffsets,
      messageIndexLength,
      compression: packed.compression,
      compressedSize: BigInt(packed.records.byteLength),
      uncompressedSize: BigInt(packed.uncompressedSize),
    },
  };
}
