// Cost specs in the data directory, versioned per (task, objective):
//   <data-dir>/cost-specs/<task>/<objective>/v<N>.json   one version each: the spec and where it came from
//   <data-dir>/cost-specs/<task>/<objective>/approved.json   which version scoring uses
// Versions are never rewritten: an edit is a new version. A VLM's answer is cached as a version whose
// origin names (model, prompt version), so the same question is not asked twice. A version is written
// only once its spec is valid, and atomically, so a failure leaves the store as it was.
import { createHash } from 'node:crypto';
import {
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

import { builtinCostSpec } from './builtin-cost-specs.js';
import { CostSpecError } from './cost-spec-error.js';
import { validateCostSpec } from './cost-spec-validation.js';
import { OBJECTIVES, type CostSpec, type Objective } from './cost-spec.js';
import { applyObjective } from './objective-presets.js';

export const COST_SPEC_DIR = 'cost-specs';

export type CostSpecOrigin =
  | {
      kind: 'vlm';
      model: string;
      promptVersion: string;
      endpoint: string;
      answers: number;
      structured: boolean;
    }
  /** written or edited by a person, starting from `from` (a version id, "builtin", or a file) */
  | { kind: 'edit'; from: string };

export interface StoredCostSpec {
  /** <task>/<objective>/v<N> */
  id: string;
  version: number;
  /** of the spec's canonical JSON: two versions with the same hash are the same spec */
  hash: string;
  origin: CostSpecOrigin;
  createdAt: string;
  spec: CostSpec;
}

/** The spec scoring uses for a (task, objective), and how it was arrived at. */
export interface ResolvedCostSpec {
  spec: CostSpec;
  /** recorded with every score: e.g. lift/task/v2#3f1a…, builtin/lift+safety#9c0d… */
  version: string;
  /** in words, for people */
  provenance: string;
}

/** JSON with object keys sorted, so equal specs hash equally whatever order their fields came in. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function specHash(spec: CostSpec): string {
  return createHash('sha256').update(canonical(spec)).digest('hex').slice(0, 12);
}

const TASK_PATTERN = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

function checkKey(task: string, objective: string): void {
  if (!TASK_PATTERN.test(task)) throw new Error(`"${task}" is not a task id a cost spec can be stored under`);
  if (!(OBJECTIVES as readonly string[]).includes(objective)) {
    throw new Error(`unknown objective "${objective}"; objectives: ${OBJECTIVES.join(', ')}`);
  }
}

export class CostSpecStore {
  readonly root: string;

  constructor(dataDir: string) {
    this.root = join(dataDir, COST_SPEC_DIR);
  }

  dir(task: string, objective: Objective): string {
    checkKey(task, objective);
    return join(this.root, task, objective);
  }

  /** Every stored version of a (task, objective), oldest first. */
  versions(task: string, objective: Objective): StoredCostSpec[] {
    const dir = this.dir(task, objective);
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .map((f) => /^v(\d+)\.json$/.exec(f))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b)
      .map((n) => this.read(task, objective, n));
  }

  /** The (task, objective) pairs that have stored versions. */
  keys(): { task: string; objective: Objective }[] {
    if (!existsSync(this.root)) return [];
    return readdirSync(this.root)
      .filter((task) => TASK_PATTERN.test(task))
      .sort()
      .flatMap((task) =>
        OBJECTIVES.filter((o) => existsSync(join(this.root, task, o))).map((objective) => ({
          task,
          objective,
        })),
      );
  }

  /** A version (the newest when `version` is omitted); an error naming what exists when it does not. */
  get(task: string, objective: Objective, version?: number): StoredCostSpec {
    const all = this.versions(task, objective);
    const found = version === undefined ? all.at(-1) : all.find((v) => v.version === version);
    if (!found) {
      const have = all.map((v) => `v${v.version}`).join(', ');
      throw new Error(
        `no cost spec ${task}/${objective}${version === undefined ? '' : `/v${version}`} in ${this.root}${have ? ` (versions: ${have})` : ''}`,
      );
    }
    return found;
  }

  approvedVersion(task: string, objective: Objective): number | undefined {
    const file = join(this.dir(task, objective), 'approved.json');
    if (!existsSync(file)) return undefined;
    const { version } = JSON.parse(readFileSync(file, 'utf8')) as { version: number };
    return version;
  }

  approved(task: string, objective: Objective): StoredCostSpec | undefined {
    const version = this.approvedVersion(task, objective);
    return version === undefined ? undefined : this.get(task, objective, version);
  }

  approve(task: string, objective: Objective, version?: number): StoredCostSpec {
    const record = this.get(task, objective, version);
    this.writeAtomically(
      join(this.dir(task, objective), 'approved.json'),
      `${JSON.stringify({ version: record.version, approvedAt: new Date().toISOString() }, null, 2)}\n`,
    );
    return record;
  }

  /** The cached answer of `model` to prompt version `promptVersion`, if it was asked before. */
  cachedVlmSpec(
    task: string,
    objective: Objective,
    model: string,
    promptVersion: string,
  ): StoredCostSpec | undefined {
    return this.versions(task, objective).find(
      (v) => v.origin.kind === 'vlm' && v.origin.model === model && v.origin.promptVersion === promptVersion,
    );
  }

  /** Stores a spec as the next version (validated again: nothing invalid is ever stored). */
  add(spec: CostSpec, origin: CostSpecOrigin): StoredCostSpec {
    const valid = validateCostSpec(spec, 'the cost spec to store');
    const dir = this.dir(valid.task, valid.objective);
    mkdirSync(dir, { recursive: true });
    for (;;) {
      const version = (this.versions(valid.task, valid.objective).at(-1)?.version ?? 0) + 1;
      const record: StoredCostSpec = {
        id: `${valid.task}/${valid.objective}/v${version}`,
        version,
        hash: specHash(valid),
        origin,
        createdAt: new Date().toISOString(),
        spec: valid,
      };
      const tmp = join(dir, `.v${version}.${process.pid}.tmp`);
      writeFileSync(tmp, `${JSON.stringify(record, null, 2)}\n`);
      try {
        // link() fails if the version exists: a concurrent writer took it, so take the next one.
        linkSync(tmp, join(dir, `v${version}.json`));
        return record;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      } finally {
        unlinkSync(tmp);
      }
    }
  }

  /**
   * The spec scoring uses: the approved one for the objective; else the objective's preset applied to
   * the approved task spec; else to the built-in spec of a simulator task. Unapproved versions (a fresh
   * VLM answer) are never used without a person's approval.
   */
  resolve(task: string, objective: Objective): ResolvedCostSpec | undefined {
    const own = this.approved(task, objective);
    if (own) return { spec: own.spec, version: `${own.id}#${own.hash}`, provenance: `approved ${own.id}` };
    if (objective !== 'task') {
      const base = this.approved(task, 'task');
      if (base) {
        const spec = applyObjective(base.spec, objective);
        return {
          spec,
          version: `${base.id}+${objective}#${specHash(spec)}`,
          provenance: `approved ${base.id} with the ${objective} preset`,
        };
      }
    }
    const builtin = builtinCostSpec(task);
    if (!builtin) return undefined;
    const spec = applyObjective(builtin, objective);
    const suffix = objective === 'task' ? '' : `+${objective}`;
    return {
      spec,
      version: `builtin/${task}${suffix}#${specHash(spec)}`,
      provenance: `built-in${objective === 'task' ? '' : ` with the ${objective} preset`}`,
    };
  }

  private read(task: string, objective: Objective, version: number): StoredCostSpec {
    const file = join(this.dir(task, objective), `v${version}.json`);
    let record: StoredCostSpec;
    try {
      record = JSON.parse(readFileSync(file, 'utf8')) as StoredCostSpec;
    } catch (error) {
      throw new CostSpecError(file, [{ field: '', problem: `unreadable (${(error as Error).message})` }]);
    }
    // A stored file may have been edited by hand: it is checked like any other spec.
    validateCostSpec(record.spec, file, { task, objective });
    return record;
  }

  private writeAtomically(file: string, text: string): void {
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  }
}
