// Starts a worker thread from a module beside the caller, whether grape runs compiled (dist/*.js)
// or from its TypeScript sources through tsx (worker threads do not inherit tsx's loader hooks
// on Node 20, so the worker registers them first).
import { fileURLToPath } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** `sibling` is the module's URL without extension, e.g. new URL('./x-worker', import.meta.url). */
export function startSourceWorker(sibling: URL, options: WorkerOptions = {}): Worker {
  const fromSource = fileURLToPath(import.meta.url).endsWith('.ts');
  if (!fromSource) return new Worker(new URL(`${sibling.href}.js`), options);
  const tsx = import.meta.resolve('tsx/esm/api');
  const code = `const { register } = await import(${JSON.stringify(tsx)}); register(); await import(${JSON.stringify(`${sibling.href}.ts`)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(code)}`), options);
}

/** The buffer of `data` if it may be handed to another thread: only if the array owns all of it
 * (small Buffers share a pool with others). */
export function transferable(data: Uint8Array): ArrayBuffer[] {
  return data.byteOffset === 0 && data.byteLength === data.buffer.byteLength
    ? [data.buffer as ArrayBuffer]
    : [];
}
