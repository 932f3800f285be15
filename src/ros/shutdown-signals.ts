// SIGINT and SIGTERM end the node in order (stop the loop, hold, abort the episode, flush the bag)
// within the 5 s `ros2 launch` waits before it escalates; past the deadline the process exits anyway,
// and the next start recovers the unfinished bag.
export interface ShutdownSignalOptions {
  /** ms the orderly shutdown may take before the process exits regardless (default 4500). */
  deadlineMs?: number;
  log: (message: string) => void;
  exit: (code: number) => void;
}

const SHUTDOWN_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/**
 * Calls `shutdown` on the first SIGINT or SIGTERM, then exits: 0 when it finished, 1 when it failed
 * or overran. Returns a function that removes the handlers.
 */
export function onShutdownSignal(
  shutdown: (signal: NodeJS.Signals) => Promise<void>,
  options: ShutdownSignalOptions,
): () => void {
  const deadlineMs = options.deadlineMs ?? 4500;
  let started = false;
  const handle = (signal: NodeJS.Signals) => {
    if (started) {
      options.log(`${signal}: already shutting down`);
      return;
    }
    started = true;
    options.log(`${signal}: shutting down`);
    const deadline = setTimeout(() => {
      options.log(`shutdown took longer than ${deadlineMs} ms: exiting without finishing it`);
      options.exit(1);
    }, deadlineMs);
    shutdown(signal).then(
      () => {
        clearTimeout(deadline);
        options.exit(0);
      },
      (error: unknown) => {
        clearTimeout(deadline);
        options.log(`shutdown failed: ${(error as Error).message}`);
        options.exit(1);
      },
    );
  };
  for (const signal of SHUTDOWN_SIGNALS) process.on(signal, handle);
  return () => {
    for (const signal of SHUTDOWN_SIGNALS) process.off(signal, handle);
  };
}
