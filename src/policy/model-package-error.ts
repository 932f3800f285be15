// A model package that cannot be used: the message names the file and the field (or tensor) at fault.
export class ModelPackageError extends Error {
  override readonly name = 'ModelPackageError';

  constructor(
    /** The package file at fault, e.g. "/models/default/policy.json". */
    readonly file: string,
    /** The field or tensor at fault, e.g. "action.normalization.q01[3]" (empty when the whole file is). */
    readonly field: string,
    problem: string,
  ) {
    super(`${file}${field ? `: ${field}` : ''}: ${problem}`);
  }
}
