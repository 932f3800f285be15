// A cost spec asks for a signal the trajectory does not have (no contacts in a robot log, an object
// nobody tracked, a pixel point without depth): says which field of the spec needs what, and from where.
export class SignalError extends Error {
  override readonly name = 'SignalError';

  constructor(
    /** the spec field that needs the signal, e.g. stages[1].terms[0].measure */
    readonly field: string,
    /** the trajectory's source */
    readonly source: string,
    problem: string,
  ) {
    super(`${field}: ${problem} (signals from ${source})`);
  }
}
