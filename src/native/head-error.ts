// Errors from the action head carry the addon's code, so callers can branch on what went wrong.

export type HeadErrorCode =
  | 'GRAPE_INVALID_ARGUMENT'
  | 'GRAPE_SHAPE_MISMATCH'
  | 'GRAPE_OUT_OF_RANGE'
  | 'GRAPE_NON_FINITE'
  | 'GRAPE_DISPOSED'
  | 'GRAPE_DEVICE'
  | 'GRAPE_INTERNAL'
  | 'GRAPE_ADDON_MISSING';

export class HeadError extends Error {
  override readonly name = 'HeadError';
  constructor(
    readonly code: HeadErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Rewraps an error thrown by the addon (an Error with a GRAPE_* code) as a HeadError. */
export function toHeadError(error: unknown): unknown {
  const code = error instanceof Error ? (error as Error & { code?: unknown }).code : undefined;
  if (typeof code === 'string' && code.startsWith('GRAPE_')) return new HeadError(code as HeadErrorCode, (error as Error).message);
  return error;
}
