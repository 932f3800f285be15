// The files of one training run, under <data-dir>/runs/<run id>/:
//   run.json            what the run trains, from what, on which data, with which settings (written once)
//   log.jsonl           one JSON object a line: start, reference gap, steps, evaluations, end
//   state.safetensors   the latest snapshot (parameters, best parameters, optimizer moments,
//                       reference; position and history in the header), replaced atomically
//   summary.json        the outcome, written when the run ends
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import type { OptimizerState } from '../native/trainer-types.js';
import { readSafetensors, tensorToFloat32, writeSafetensors } from '../policy/safetensors.js';
import type { DataSelection } from './training-inputs.js';
import type { RunSnapshot } from './training-run.js';
import type { TrainingSettings } from './training-settings.js';

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const STATE_FORMAT = 'grape-training-state/1';

/** What a run trains, recorded when it starts: enough to rebuild it exactly for resuming. */
export interface RunManifest {
  runId: string;
  createdAt: string;
  /** The model package (absolute) and its name@version. */
  modelDir: string;
  model: string;
  /** The checkpoint trained from: 'base' or an adapter id. */
  parent: string;
  settings: TrainingSettings;
  /** How the data was selected (resuming selects again, then narrows to `data`). */
  selection: DataSelection;
  data: {
    kind: 'trajectories' | 'pairs';
    /** Item ids (episode ids or pair ids), in the set's order. */
    items: string[];
    /** Episode ids in upload order. */
    trajectories: string[];
    heldOut: string[];
  };
  device: string;
}

export function runsDir(dataDir: string): string {
  return join(resolve(dataDir), 'runs');
}

export class RunDirectory {
  private constructor(
    readonly dir: string,
    readonly manifest: RunManifest,
  ) {}

  get runId(): string {
    return this.manifest.runId;
  }

  get logPath(): string {
    return join(this.dir, 'log.jsonl');
  }

  get statePath(): string {
    return join(this.dir, 'state.safetensors');
  }

  get summaryPath(): string {
    return join(this.dir, 'summary.json');
  }

  /** A new run's directory; refuses to reuse an existing one. */
  static create(dataDir: string, manifest: RunManifest): RunDirectory {
    if (!RUN_ID.test(manifest.runId)) throw new Error(`'${manifest.runId}' is not a valid run id`);
    const dir = join(runsDir(dataDir), manifest.runId);
    if (existsSync(dir))
      throw new Error(`run ${manifest.runId} already exists in ${dir}: resume it or pick another id`);
    mkdirSync(dir, { recursive: true });
    const tmp = join(dir, 'run.json.tmp');
    writeFileSync(tmp, `${JSON.stringify(manifest, null, 2)}\n`);
    renameSync(tmp, join(dir, 'run.json'));
    return new RunDirectory(dir, manifest);
  }

  static open(dataDir: string, runId: string): RunDirectory {
    if (!RUN_ID.test(runId)) throw new Error(`'${runId}' is not a valid run id`);
    const dir = join(runsDir(dataDir), runId);
    const path = join(dir, 'run.json');
    if (!existsSync(path)) throw new Error(`no training run ${runId} (no ${path})`);
    let manifest: RunManifest;
    try {
      manifest = JSON.parse(readFileSync(path, 'utf8')) as RunManifest;
    } catch (error) {
      throw new Error(`${path}: not a run manifest (${(error as Error).message})`, { cause: error });
    }
    if (manifest.runId !== runId) throw new Error(`${path}: names run ${manifest.runId}, not ${runId}`);
    return new RunDirectory(dir, manifest);
  }

  log(entry: Record<string, unknown>): void {
    appendFileSync(this.logPath, `${JSON.stringify({ time: new Date().toISOString(), ...entry })}\n`);
  }

  async saveSnapshot(s: RunSnapshot): Promise<void> {
    const { reference, parameters, best, optimizer, ...position } = s;
    const tensors: Record<string, { data: Float32Array; shape: number[] }> = {
      reference: { data: reference, shape: [reference.length] },
      'optimizer.m': { data: optimizer.m, shape: [optimizer.m.length] },
      'optimizer.v': { data: optimizer.v, shape: [optimizer.v.length] },
    };
    for (const [name, data] of Object.entries(parameters))
      tensors[`parameters.${name}`] = { data, shape: [data.length] };
    for (const [name, data] of Object.entries(best)) tensors[`best.${name}`] = { data, shape: [data.length] };
    await writeSafetensors(this.statePath, tensors, {
      format: STATE_FORMAT,
      state: JSON.stringify({ ...position, optimizerStep: optimizer.step }),
    });
  }

  /** The latest snapshot, or undefined when the run never reached its first evaluation point. */
  async loadSnapshot(): Promise<RunSnapshot | undefined> {
    if (!existsSync(this.statePath)) return undefined;
    const file = await readSafetensors(this.statePath);
    if (file.metadata.format !== STATE_FORMAT || file.metadata.state === undefined)
      throw new Error(`${this.statePath}: not a grape training state (format '${file.metadata.format}')`);
    const position = JSON.parse(file.metadata.state) as Omit<
      RunSnapshot,
      'reference' | 'parameters' | 'best' | 'optimizer'
    > & {
      optimizerStep: number;
    };
    const tensor = (name: string) => {
      const t = file.tensors.get(name);
      if (!t) throw new Error(`${this.statePath}: tensor '${name}' is missing`);
      return tensorToFloat32(t, `${this.statePath}: ${name}`);
    };
    const group = (prefix: string) =>
      Object.fromEntries(
        [...file.tensors.keys()]
          .filter((k) => k.startsWith(prefix))
          .map((k) => [k.slice(prefix.length), tensor(k)]),
      );
    const { optimizerStep, ...rest } = position;
    const optimizer: OptimizerState = {
      step: optimizerStep,
      m: tensor('optimizer.m'),
      v: tensor('optimizer.v'),
    };
    return {
      ...rest,
      reference: tensor('reference'),
      parameters: group('parameters.'),
      best: group('best.'),
      optimizer,
    };
  }

  writeSummary(summary: Record<string, unknown>): void {
    const tmp = `${this.summaryPath}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(summary, null, 2)}\n`);
    renameSync(tmp, this.summaryPath);
  }

  readSummary(): Record<string, unknown> | undefined {
    return existsSync(this.summaryPath)
      ? (JSON.parse(readFileSync(this.summaryPath, 'utf8')) as Record<string, unknown>)
      : undefined;
  }
}
