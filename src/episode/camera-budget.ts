// The recorder's disk budget for a camera: frames are kept at most `rateHz` times a second and
// raw images shrunk by `downscale`; the first frame of an episode is always kept, at full
// resolution. (Raw 640×480 rgb8 at 30 Hz is ~1.6 GB a minute.) Compressed images are only
// rate-limited: shrinking them would mean decoding and re-encoding every frame.
export interface CameraBudgetOptions {
  /** frames kept per second; 0 keeps every frame */
  rateHz: number;
  /** integer factor raw images are shrunk by (1 = full resolution) */
  downscale: number;
}

/** Frames are let through this much early, so a 30 Hz camera sampled at 10 Hz keeps every third. */
const JITTER_TOLERANCE = 0.1;

export function checkCameraBudget(options: CameraBudgetOptions): void {
  if (!(options.rateHz >= 0)) throw new RangeError(`camera rateHz must be ≥ 0, got ${options.rateHz}`);
  if (!Number.isInteger(options.downscale) || options.downscale < 1) {
    throw new RangeError(`camera downscale must be an integer ≥ 1, got ${options.downscale}`);
  }
}

/** One camera's budget for one episode: the first frame it sees is the episode's first. */
export class CameraBudget {
  private lastKept: bigint | undefined;
  private readonly periodNs: bigint;

  constructor(readonly options: CameraBudgetOptions) {
    checkCameraBudget(options);
    this.periodNs =
      options.rateHz > 0 ? BigInt(Math.round((1e9 * (1 - JITTER_TOLERANCE)) / options.rateHz)) : 0n;
  }

  /** Whether a frame received at `time` (ns) is kept: 'first' (full resolution), 'keep' or 'skip'. */
  admit(time: bigint): 'first' | 'keep' | 'skip' {
    if (this.lastKept === undefined) {
      this.lastKept = time;
      return 'first';
    }
    if (time - this.lastKept < this.periodNs) return 'skip';
    this.lastKept = time;
    return 'keep';
  }
}
