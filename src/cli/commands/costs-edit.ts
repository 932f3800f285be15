// grape costs edit: opens a task's cost spec in $VISUAL / $EDITOR (or takes one from --from) and stores
// the result as a new version once it validates. An invalid edit is kept as a draft, with every
// problem listed, so nothing typed is lost.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { CommandModule } from 'yargs';

import { CostSpecError, describeIssues } from '../../gcpg/cost-spec-error.js';
import { builtinCostSpec } from '../../gcpg/builtin-cost-specs.js';
import { specHash, type CostSpecStore, type ResolvedCostSpec } from '../../gcpg/cost-spec-store.js';
import type { CostSpec, Objective } from '../../gcpg/cost-spec.js';
import { parseCostSpec } from '../../gcpg/cost-spec-validation.js';
import type { GlobalArgs } from '../global-args.js';
import { printJson } from '../output.js';
import { chosenSpec } from './costs-show.js';
import { reportingErrors, specStore, withSpecKey, type SpecKeyArgs } from './costs-options.js';

interface Args extends SpecKeyArgs {
  version?: number;
  from?: string;
  approve: boolean;
}

function runEditor(file: string): void {
  const editor = process.env.VISUAL ?? process.env.EDITOR ?? 'vi';
  // Through the shell, so an editor given with arguments ("code --wait") works.
  const r = spawnSync('sh', ['-c', `${editor} "$1"`, 'sh', file], { stdio: 'inherit' });
  if (r.error) throw new Error(`cannot run the editor (${editor}): ${r.error.message}`);
  if (r.status !== 0)
    throw new Error(`the editor (${editor}) exited with status ${r.status}; your draft is kept at ${file}`);
}

/** What an edit starts from: the named or newest stored version, else the spec in use, else a template. */
function startingPoint(
  store: CostSpecStore,
  task: string,
  objective: Objective,
  version?: number,
): ResolvedCostSpec {
  const newest = store.versions(task, objective).at(-1);
  if (version !== undefined || newest) return chosenSpec(store, task, objective, version ?? newest!.version);
  const resolved = store.resolve(task, objective);
  if (resolved) return resolved;
  // A task without any spec: a pick-and-place spec to adapt, with the task's own id and objective.
  const template = builtinCostSpec('place-on-plate')!;
  const spec: CostSpec = { ...template, task, objective, summary: `what ${task} asks for, in one line` };
  return { spec, version: 'template', provenance: 'a template to adapt' };
}

export const costsEditCommand: CommandModule<GlobalArgs, Args> = {
  command: 'edit',
  describe: 'Edit a cost spec in $EDITOR (or import one with --from) and store it as a new version',
  builder: (y) =>
    withSpecKey(y)
      .option('version', {
        type: 'number',
        describe: 'start from this stored version (default: the newest, else the one in use)',
      })
      .option('from', {
        type: 'string',
        describe: 'take the spec from this JSON file instead of opening an editor',
      })
      .option('approve', { type: 'boolean', default: false, describe: 'approve the new version for scoring' })
      .strict(),
  handler: (args) =>
    reportingErrors('costs edit', () => {
      const store = specStore(args);
      const base = startingPoint(store, args.task, args.objective, args.version);
      const expect = { task: args.task, objective: args.objective };
      let text: string;
      let draft: string | undefined;
      if (args.from !== undefined) {
        text = readFileSync(args.from, 'utf8');
      } else {
        const drafts = join(store.dir(args.task, args.objective), 'drafts');
        mkdirSync(drafts, { recursive: true });
        draft = join(drafts, `edit-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
        writeFileSync(draft, `${JSON.stringify(base.spec, null, 2)}\n`);
        runEditor(draft);
        text = readFileSync(draft, 'utf8');
      }
      let spec;
      try {
        spec = parseCostSpec(text, args.from ?? 'your edit', expect);
      } catch (error) {
        if (!(error instanceof CostSpecError)) throw error;
        const kept = draft
          ? `\nYour edit is kept at ${draft}: fix it there and run grape costs edit --task ${args.task} --objective ${args.objective} --from ${draft}`
          : '';
        throw new Error(`${error.source} is not a valid cost spec:\n${describeIssues(error.issues)}${kept}`, {
          cause: error,
        });
      }
      if (draft) unlinkSync(draft);
      if (specHash(spec) === specHash(base.spec)) {
        if (args.json) printJson({ changed: false, base: base.version });
        else process.stdout.write(`no change to ${base.version}\n`);
        return;
      }
      const record = store.add(spec, { kind: 'edit', from: args.from ?? base.version });
      if (args.approve) store.approve(args.task, args.objective, record.version);
      if (args.json) {
        printJson({ changed: true, stored: record.id, hash: record.hash, approved: args.approve });
        return;
      }
      process.stdout.write(`stored ${record.id} (${record.hash})${args.approve ? ', approved' : ''}\n`);
      if (!args.approve) {
        process.stdout.write(
          `approve it for scoring: grape costs approve --task ${args.task} --objective ${args.objective} --version ${record.version}\n`,
        );
      }
    }),
};
