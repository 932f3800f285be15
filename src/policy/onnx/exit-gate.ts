// Node ends worker threads when the process exits, and onnxruntime-node aborts the whole process
// (std::terminate on a Napi::Error it cannot throw into a terminating thread) when that happens
// inside a session call. An ExitGate, shared with an encoder worker, lets process.exit wait briefly
// for the calls in flight, and keeps the worker from starting another once the process is exiting.

const IN_FLIGHT = 0;
const EXITING = 1;

/** How long process.exit waits for session calls in flight (an encoder step takes milliseconds). */
const EXIT_WAIT_MS = 2000;

/** The gate's shared state: [session calls in flight, the process is exiting]. */
export type ExitGateState = Int32Array;

export function newExitGateState(): ExitGateState {
  return new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT));
}

/**
 * Worker side: runs `call` unless the process is exiting (then resolves to undefined without
 * calling it). The count goes up before the exiting flag is read, and the exit hook sets the flag
 * before it reads the count, so either the call is skipped or the hook waits for it.
 */
export async function throughExitGate<T>(
  state: ExitGateState,
  call: () => Promise<T>,
): Promise<T | undefined> {
  Atomics.add(state, IN_FLIGHT, 1);
  try {
    if (Atomics.load(state, EXITING) !== 0) return undefined;
    return await call();
  } finally {
    Atomics.sub(state, IN_FLIGHT, 1);
    Atomics.notify(state, IN_FLIGHT);
  }
}

const open = new Set<ExitGateState>();
let hooked = false;

function waitForCallsInFlight(): void {
  const deadline = performance.now() + EXIT_WAIT_MS;
  for (const state of open) Atomics.store(state, EXITING, 1);
  for (const state of open) {
    for (;;) {
      const inFlight = Atomics.load(state, IN_FLIGHT);
      const left = deadline - performance.now();
      if (inFlight === 0 || left <= 0) break;
      Atomics.wait(state, IN_FLIGHT, inFlight, left);
    }
  }
}

/** Main side: process.exit waits on this gate until `closeExitGate`. */
export function openExitGate(state: ExitGateState): void {
  if (!hooked) process.on('exit', waitForCallsInFlight);
  hooked = true;
  open.add(state);
}

export function closeExitGate(state: ExitGateState): void {
  open.delete(state);
}
