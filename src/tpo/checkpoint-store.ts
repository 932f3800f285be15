// Checkpoints of one model package: adapters/<id>.safetensors written with their lineage, data,
// hyper-parameters and metrics in the header, registered in the episode index under the policy id
// the node logs episodes with (name@version/<adapter id>, name@version/base for the package's own
// head), and promoted: the promoted checkpoint is what a model's policy node loads; a rollback goes
// back to the one the current promotion replaced.
import { isAbsolute, relative, resolve } from 'node:path';

import type { Checkpoint, EpisodeIndex, Promotion } from '../episode/episode-index.js';
import { ModelPackageError } from '../policy/model-package-error.js';
import {
  BASE_CHECKPOINT,
  readAdapter,
  writeAdapter,
  type AdapterInfo,
  type AdapterToWrite,
  type LoadedAdapter,
  type ModelPackage,
} from '../policy/model-package.js';

/** Header key naming the base head (head.safetensors' sha256 prefix) an adapter was trained on. */
export const BASE_HEAD_KEY = 'base_head_sha256';

export interface CheckpointEntry {
  /** Adapter id, or 'base'. */
  adapterId: string;
  checkpointId: string;
  /** Registered in the episode index (an adapter copied into the package is not, until promoted). */
  registered?: Checkpoint;
  adapter?: AdapterInfo;
  promoted: boolean;
}

export interface PromotedCheckpoint {
  checkpointId: string;
  /** undefined: the package's own head. */
  adapterId?: string;
  promotion?: Promotion;
}

export type Registry = Pick<
  EpisodeIndex,
  'dataDir' | 'addCheckpoint' | 'checkpoint' | 'checkpoints' | 'addPromotion' | 'promotion' | 'promotions'
>;

export class CheckpointStore {
  readonly model: string;

  constructor(
    private readonly index: Registry,
    readonly pkg: ModelPackage,
  ) {
    this.model = `${pkg.manifest.name}@${pkg.manifest.version}`;
  }

  /** The policy id of a checkpoint of this model (what episodes record). */
  checkpointId(adapterId: string): string {
    return `${this.model}/${adapterId}`;
  }

  /** An adapter id from 'base', an adapter id, or a full checkpoint id of this model. */
  adapterIdOf(ref: string): string {
    const prefix = `${this.model}/`;
    if (ref.startsWith(prefix)) return ref.slice(prefix.length);
    if (ref.includes('/'))
      throw new ModelPackageError(
        this.pkg.dir,
        ref,
        `is a checkpoint of another model (this one is ${this.model})`,
      );
    return ref;
  }

  /** Reads an adapter, checking it was trained on this package's head. */
  async readAdapter(adapterId: string): Promise<LoadedAdapter> {
    const adapter = await readAdapter(this.pkg, adapterId);
    const base = adapter.info.metadata[BASE_HEAD_KEY];
    if (base !== undefined && base !== this.pkg.headSha256)
      throw new ModelPackageError(
        adapter.info.file,
        `__metadata__.${BASE_HEAD_KEY}`,
        `is ${base}: it was trained on another head.safetensors than this package's (${this.pkg.headSha256})`,
      );
    return adapter;
  }

  /** The registry row of a checkpoint, added (with its parents) if missing. */
  private register(
    adapterId: string,
    info?: AdapterInfo,
    metadata: Record<string, unknown> = {},
  ): Checkpoint {
    const id = this.checkpointId(adapterId);
    const existing = this.index.checkpoint(id);
    if (existing) return existing;
    const base = adapterId === BASE_CHECKPOINT;
    const parent = info
      ? this.register(
          info.parent,
          this.pkg.adapters.find((a) => a.id === info.parent),
        )
      : undefined;
    const path = info ? relative(resolve(this.index.dataDir), info.file) : undefined;
    const inDataDir = path !== undefined && !path.startsWith('..') && !isAbsolute(path);
    return this.index.addCheckpoint({
      id,
      ...(parent ? { parentId: parent.id } : {}),
      ...(info ? { objective: info.objective } : base ? { objective: 'base' } : {}),
      ...(inDataDir ? { path } : {}),
      model: this.model,
      modelDir: this.pkg.dir,
      ...(base ? {} : { adapterId }),
      metadata: base
        ? { headSha256: this.pkg.headSha256 }
        : info
          ? { ...metadata, kind: info.kind, ...(info.lora ? { lora: info.lora } : {}) }
          : { note: 'its adapter file was not in the package when registered' },
    });
  }

  /** Writes adapters/<id>.safetensors (trained on this package's head) and registers it. */
  async save(
    adapterId: string,
    adapter: AdapterToWrite,
    registryMetadata: Record<string, unknown> = {},
  ): Promise<Checkpoint> {
    const existing = this.pkg.adapters.find((a) => a.id === adapterId);
    if (existing)
      throw new ModelPackageError(existing.file, '', 'already exists: checkpoints are never overwritten');
    if (adapter.parent !== BASE_CHECKPOINT && !this.pkg.adapters.some((a) => a.id === adapter.parent))
      throw new ModelPackageError(this.pkg.dir, adapter.parent, 'no such parent checkpoint in adapters/');
    const info = await writeAdapter(this.pkg, adapterId, {
      ...adapter,
      metadata: {
        ...adapter.metadata,
        checkpoint: this.checkpointId(adapterId),
        [BASE_HEAD_KEY]: this.pkg.headSha256,
      },
    });
    return this.register(adapterId, info, registryMetadata);
  }

  promoted(): PromotedCheckpoint {
    const promotion = this.index.promotions({ model: this.model })[0];
    if (!promotion) return { checkpointId: this.checkpointId(BASE_CHECKPOINT) };
    const checkpoint = this.index.checkpoint(promotion.checkpointId);
    const adapterId = checkpoint?.adapterId;
    return { checkpointId: promotion.checkpointId, ...(adapterId ? { adapterId } : {}), promotion };
  }

  /** Makes a checkpoint the one this model's node loads, after reading it in full (a corrupt or mismatched file is refused). */
  async promote(ref: string, note?: string): Promise<Promotion> {
    const adapterId = this.adapterIdOf(ref);
    let checkpoint: Checkpoint;
    if (adapterId === BASE_CHECKPOINT) checkpoint = this.register(BASE_CHECKPOINT);
    else {
      const adapter = await this.readAdapter(adapterId);
      checkpoint = this.register(adapterId, adapter.info);
    }
    const current = this.index.promotions({ model: this.model })[0];
    return this.index.addPromotion({
      model: this.model,
      checkpointId: checkpoint.id,
      ...(current ? { previousId: current.id } : {}),
      action: 'promote',
      ...(note ? { note } : {}),
    });
  }

  /** Goes back to the checkpoint the current promotion replaced (the base head before any). */
  async rollback(note?: string): Promise<Promotion> {
    const current = this.index.promotions({ model: this.model })[0];
    if (!current)
      throw new Error(`nothing to roll back: ${this.model} runs its base head (nothing was promoted)`);
    const previous = current.previousId === undefined ? undefined : this.index.promotion(current.previousId);
    const target = previous?.checkpointId ?? this.checkpointId(BASE_CHECKPOINT);
    if (!previous && target === current.checkpointId)
      throw new Error(`nothing to roll back: ${this.model} runs its base head`);
    const adapterId = this.index.checkpoint(target)?.adapterId;
    if (adapterId) await this.readAdapter(adapterId);
    else this.register(BASE_CHECKPOINT);
    return this.index.addPromotion({
      model: this.model,
      checkpointId: target,
      ...(previous?.previousId === undefined ? {} : { previousId: previous.previousId }),
      action: 'rollback',
      ...(note ? { note } : {}),
    });
  }

  /** The base head and every adapter, registered or only present in adapters/, oldest first. */
  list(): CheckpointEntry[] {
    const promoted = this.promoted().checkpointId;
    const registered = this.index.checkpoints({ model: this.model });
    const entries: CheckpointEntry[] = [];
    const seen = new Set<string>();
    const add = (adapterId: string) => {
      if (seen.has(adapterId)) return;
      seen.add(adapterId);
      const checkpointId = this.checkpointId(adapterId);
      const row = registered.find((c) => c.id === checkpointId);
      const adapter = this.pkg.adapters.find((a) => a.id === adapterId);
      entries.push({
        adapterId,
        checkpointId,
        ...(row ? { registered: row } : {}),
        ...(adapter ? { adapter } : {}),
        promoted: checkpointId === promoted,
      });
    };
    add(BASE_CHECKPOINT);
    for (const c of registered) add(c.adapterId ?? BASE_CHECKPOINT);
    for (const a of this.pkg.adapters) add(a.id);
    return entries;
  }
}
