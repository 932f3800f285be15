// A cost spec that is not valid: every problem found, each with the field it is about, so a person
// (or the VLM, on a retry) can fix all of them at once.

export interface CostSpecIssue {
  /** the field, as people read it: stages[1].terms[0].weight ('' for the whole spec) */
  field: string;
  problem: string;
}

export function describeIssues(issues: readonly CostSpecIssue[]): string {
  return issues.map((i) => `${i.field || '(spec)'}: ${i.problem}`).join('\n');
}

export class CostSpecError extends Error {
  override readonly name = 'CostSpecError';

  constructor(
    /** where the spec came from, e.g. a file or "the VLM's answer" */
    readonly source: string,
    readonly issues: readonly CostSpecIssue[],
  ) {
    const [first, ...rest] = issues;
    const head = first ? `${first.field || '(spec)'}: ${first.problem}` : 'invalid';
    super(
      `${source} is not a valid cost spec: ${head}${rest.map((i) => `\n  also ${i.field || '(spec)'}: ${i.problem}`).join('')}`,
    );
  }
}
