// Worker thread of chunk-packer.ts: packs chunk records (CRC, zstd) off the recorder's thread.
import { parentPort } from 'node:worker_threads';

import {
  loadChunkCompression,
  packChunkRecords,
  type ChunkCompression,
  type PackedRecords,
} from './mcap-chunk.js';
import { transferable } from './source-worker.js';

export interface PackRequest {
  id: number;
  data: Uint8Array;
  compression: ChunkCompression;
}

export type PackReply = { id: number; packed: PackedRecords } | { id: number; error: string };

await loadChunkCompression();
parentPort!.on('message', (request: PackRequest) => {
  let reply: PackReply;
  try {
    reply = { id: request.id, packed: packChunkRecords(request.data, request.compression) };
  } catch (error) {
    reply = { id: request.id, error: (error as Error).message };
  }
  parentPort!.postMessage(reply, 'packed' in reply ? transferable(reply.packed.records) : []);
});
