// Writes one MCAP file (profile ros2) so that a crash loses as little as possible: the header,
// schemas, channels and metadata go to disk first, as top-level records; messages go into chunks
// that are written as soon as they fill or grow old; the summary comes at the end. A file cut off
// at any point therefore reads back, by streaming, to its last complete chunk, and
// repairMcapFile() can give it a summary again.
//
// Calls are synchronous and never wait for the disk or the compressor: chunks are packed on a
// worker thread and everything is written, in order, by one sequential writer; a record's place
// in the file is fixed when its turn comes. The first write error (disk full, I/O error) is kept;
// later calls throw it.
import { open, type FileHandle } from 'node:fs/promises';
import { crc32 } from 'node:zlib';

import { McapChunkBuilder, McapRecordBuilder, type McapTypes } from '@mcap/core';

import { packOffThread, startChunkPacker } from './chunk-packer.js';
import {
  frameChunk,
  packChunkRecords,
  type ChunkCompression,
  type ChunkContents,
  type PackedRecords,
} from './mcap-chunk.js';
import { emptyStatistics, encodeSummary, type McapSummary } from './mcap-summary.js';
import { writeFully } from './write-fully.js';

export interface McapBagWriterOptions {
  compression: ChunkCompression;
  /** A chunk is written once its uncompressed records reach this many bytes… */
  chunkSize: number;
  /** …or once its first message is this old (ms), so slow topics reach the disk too. */
  chunkMaxAgeMs: number;
  /** MCAP header library string */
  library: string;
}

/** What waits for the disk, in file order. */
type Queued =
  | { kind: 'record'; bytes: Uint8Array; placed?: (offset: bigint) => void }
  | {
      kind: 'chunk';
      packed: Promise<PackedRecords>;
      contents: ChunkContents;
      bytes: number;
      messages: number;
    };

export class McapBagWriter {
  private readonly chunk = new McapChunkBuilder({ useMessageIndex: true });
  private readonly framer = new McapRecordBuilder();
  private chunkOpenedAt = 0;
  private readonly schemas: McapTypes.Schema[] = [];
  private readonly channels: McapTypes.Channel[] = [];
  private readonly chunkIndexes: McapTypes.ChunkIndex[] = [];
  private readonly metadataIndexes: McapTypes.MetadataIndex[] = [];
  private readonly statistics: McapTypes.Statistics = emptyStatistics();
  private readonly sequences = new Map<number, number>();
  private queue: Queued[] = [];
  private queuedBytes = 0;
  /** file offset of the next byte written, and the CRC of everything before it */
  private position = 0n;
  private dataCrc = 0;
  private drained: Promise<void> = Promise.resolve();
  private draining = false;
  private error: Error | undefined;
  private closed = false;
  private readonly timer: NodeJS.Timeout;
  /** bytes on disk (handed to the kernel, so they survive the process being killed) */
  writtenBytes = 0;
  /** messages in chunks on disk */
  messagesOnDisk = 0;

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    private readonly options: McapBagWriterOptions,
    private readonly onFailure: (error: Error) => void,
  ) {
    this.timer = setInterval(
      () => {
        if (this.chunk.numMessages > 0 && Date.now() - this.chunkOpenedAt >= options.chunkMaxAgeMs)
          this.flush();
      },
      Math.max(10, options.chunkMaxAgeMs / 4),
    );
    this.timer.unref();
  }

  /** Creates the file (it must not exist) and queues the MCAP header. */
  static async create(
    path: string,
    options: McapBagWriterOptions,
    onFailure: (error: Error) => void,
  ): Promise<McapBagWriter> {
    if (options.compression === 'zstd') startChunkPacker();
    const handle = await open(path, 'wx');
    const writer = new McapBagWriter(path, handle, options, onFailure);
    const out = new McapRecordBuilder();
    out.writeMagic();
    out.writeHeader({ profile: 'ros2', library: options.library });
    writer.enqueue({ kind: 'record', bytes: out.buffer });
    return writer;
  }

  /** The write error that stopped this file, if one did. */
  get failure(): Error | undefined {
    return this.error;
  }

  /** Bytes waiting for the disk, the open chunk included. */
  get pendingBytes(): number {
    return this.queuedBytes + this.chunk.byteLength;
  }

  addSchema(name: string, encoding: string, data: Uint8Array): number {
    this.check();
    const schema = { id: this.schemas.length + 1, name, encoding, data };
    this.schemas.push(schema);
    this.statistics.schemaCount++;
    const out = new McapRecordBuilder();
    out.writeSchema(schema);
    this.enqueue({ kind: 'record', bytes: out.buffer });
    return schema.id;
  }

  addChannel(
    topic: string,
    schemaId: number,
    messageEncoding: string,
    metadata: Map<string, string>,
  ): number {
    this.check();
    const channel = { id: this.channels.length, schemaId, topic, messageEncoding, metadata };
    this.channels.push(channel);
    this.statistics.channelCount++;
    this.statistics.channelMessageCounts.set(channel.id, 0n);
    const out = new McapRecordBuilder();
    out.writeChannel(channel);
    this.enqueue({ kind: 'record', bytes: out.buffer });
    return channel.id;
  }

  /** A top-level Metadata record (indexed in the summary). */
  addMetadata(name: string, metadata: Record<string, string>): void {
    this.check();
    const out = new McapRecordBuilder();
    const length = out.writeMetadata({ name, metadata: new Map(Object.entries(metadata)) });
    this.statistics.metadataCount++;
    this.enqueue({
      kind: 'record',
      bytes: out.buffer,
      placed: (offset) => this.metadataIndexes.push({ offset, length, name }),
    });
  }

  addMessage(channelId: number, logTime: bigint, data: Uint8Array): void {
    this.check();
    const sequence = this.sequences.get(channelId) ?? 0;
    this.sequences.set(channelId, sequence + 1);
    if (this.chunk.numMessages === 0) this.chunkOpenedAt = Date.now();
    this.chunk.addMessage({ channelId, sequence, logTime, publishTime: logTime, data });
    const s = this.statistics;
    if (s.messageCount === 0n || logTime < s.messageStartTime) s.messageStartTime = logTime;
    if (s.messageCount === 0n || logTime > s.messageEndTime) s.messageEndTime = logTime;
    s.messageCount++;
    s.channelMessageCounts.set(channelId, (s.channelMessageCounts.get(channelId) ?? 0n) + 1n);
    if (this.chunk.byteLength >= this.options.chunkSize) this.flush();
  }

  /** Sends the open chunk on its way to the disk now. */
  flush(): void {
    if (this.chunk.numMessages === 0 || this.error) return;
    const data = this.chunk.buffer; // a copy: the builder is reused
    const contents: ChunkContents = {
      messageStartTime: this.chunk.messageStartTime,
      messageEndTime: this.chunk.messageEndTime,
      indices: [...this.chunk.indices],
    };
    const messages = this.chunk.numMessages;
    this.chunk.reset();
    this.statistics.chunkCount++;
    const bytes = data.byteLength;
    const packed =
      this.options.compression === 'none'
        ? Promise.resolve(packChunkRecords(data, 'none'))
        : packOffThread(data, this.options.compression);
    packed.catch(() => undefined); // a failure is handled where the queue awaits it, or dropped with it
    this.enqueue({ kind: 'chunk', packed, contents, bytes, messages });
  }

  /** What the summary holds (and what metadata.yaml is written from); complete after close(). */
  summary(): McapSummary {
    return {
      schemas: this.schemas,
      channels: this.channels,
      statistics: this.statistics,
      metadataIndexes: this.metadataIndexes,
      chunkIndexes: this.chunkIndexes,
    };
  }

  /** Writes the last chunk and the summary, syncs and closes the file. Throws the write error, if any. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    await this.settle();
    if (!this.error) {
      this.enqueue({ kind: 'record', bytes: encodeSummary(this.summary(), this.position, this.dataCrc) });
      await this.settle();
    }
    await this.release(!this.error);
    if (this.error) throw this.error;
  }

  /** Closes the file as it is, without a summary (after a failure: recovery repairs it later). */
  async abandon(): Promise<void> {
    if (this.closed) return;
    this.error ??= new Error('abandoned');
    await this.settle();
    await this.release(false);
  }

  /** Waits until no more than `bytes` wait for the disk (for producers that can slow down). */
  async whenBelow(bytes: number): Promise<void> {
    if (this.pendingBytes > bytes) this.flush();
    while (this.pendingBytes > bytes && this.draining) await this.drained;
  }

  /** Waits until everything queued is on disk (or the writer failed). */
  private async settle(): Promise<void> {
    while (this.draining) await this.drained;
  }

  private async release(sync: boolean): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    try {
      if (sync) await this.handle.datasync();
    } catch (error) {
      this.fail(error as Error);
    }
    await this.handle.close().catch(() => undefined);
  }

  private check(): void {
    if (this.error) throw this.error;
    if (this.closed) throw new Error(`${this.path} is closed`);
  }

  private enqueue(item: Queued): void {
    this.queue.push(item);
    this.queuedBytes += item.kind === 'chunk' ? item.bytes : item.bytes.byteLength;
    if (!this.draining) {
      this.draining = true;
      this.drained = this.drain();
    }
  }

  private async drain(): Promise<void> {
    try {
      for (let item; (item = this.queue.shift());) {
        let bytes: Uint8Array;
        if (item.kind === 'chunk') {
          const framed = frameChunk(item.contents, await item.packed, this.position, this.framer);
          this.chunkIndexes.push(framed.index);
          bytes = framed.bytes;
        } else {
          item.placed?.(this.position);
          bytes = item.bytes;
        }
        this.dataCrc = crc32(bytes, this.dataCrc);
        this.position += BigInt(bytes.byteLength);
        await writeFully(this.handle, bytes, null);
        this.queuedBytes -= item.kind === 'chunk' ? item.bytes : item.bytes.byteLength;
        this.writtenBytes += bytes.byteLength;
        if (item.kind === 'chunk') this.messagesOnDisk += item.messages;
      }
    } catch (error) {
      this.fail(error as Error);
    } finally {
      this.draining = false;
    }
  }

  private fail(error: Error): void {
    if (this.error) return;
    this.error = error;
    this.queue = [];
    this.queuedBytes = 0;
    clearInterval(this.timer);
    this.onFailure(error);
  }
}
