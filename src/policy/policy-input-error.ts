// An observation, instruction, action or token the policy cannot take; `input` names which one.
export class PolicyInputError extends Error {
  override readonly name = 'PolicyInputError';

  constructor(
    /** What was wrong, e.g. "image", "joints", "instruction", "action[3]". */
    readonly input: string,
    readonly problem: string,
  ) {
    super(`${input}: ${problem}`);
  }
}
