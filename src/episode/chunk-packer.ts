// Packs chunk records (CRC, zstd) on a worker thread, so a recorder fed a camera stream never
// holds up the thread that runs the control loop (packing a 1 MiB chunk takes several ms). One
// worker serves the process; it does not keep the process alive while idle.
import type { Worker } from 'node:worker_threads';

import type { PackReply, PackRequest } from './chunk-packer-worker.js';
import type { ChunkCompression, PackedRecords } from './mcap-chunk.js';
import { startSourceWorker, transferable } from './source-worker.js';

let worker: Worker | undefined;
let nextId = 0;
const pending = new Map<number, { resolve: (p: PackedRecords) => void; reject: (e: Error) => void }>();

function failAll(error: Error): void {
  for (const p of pending.values()) p.reject(error);
  pending.clear();
  worker = undefined;
}

function packer(): Worker {
  if (worker) return worker;
  const w = startSourceWorker(new URL('./chunk-packer-worker', import.meta.url));
  w.on('message', (reply: PackReply) => {
    const p = pending.get(reply.id);
    pending.delete(reply.id);
    if (pending.size === 0) w.unref();
    if ('error' in reply) p?.reject(new Error(`packing a chunk failed: ${reply.error}`));
    else p?.resolve(reply.packed);
  });
  w.on('error', (error) => {
    failAll(new Error(`the chunk packing thread failed: ${error.message}`));
  });
  w.on('exit', (code) => {
    failAll(new Error(`the chunk packing thread exited (code ${code})`));
  });
  w.unref();
  worker = w;
  return w;
}

/** Starts the worker ahead of the first chunk (starting it takes a while). */
export function startChunkPacker(): void {
  packer();
}

/** Packs `data` on the worker; `data`'s buffer is handed over (do not use it afterwards). */
export function packOffThread(data: Uint8Array, compression: ChunkCompression): Promise<PackedRecords> {
  const w = packer();
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    w.ref();
    const request: PackRequest = { id, data, compression };
    w.postMessage(request, transferable(data));
  });
}
