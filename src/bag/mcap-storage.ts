// rosbag2 MCAP storage (.mcap, profile ros2). An indexed file is read through its summary; one
// without (a recorder killed mid-episode, before it wrote the summary) is streamed from the start
// up to its last complete record, so everything flushed before the crash reads back.
import { McapIndexedReader, McapStreamReader, hasMcapPrefix, type McapTypes } from '@mcap/core';

import { BagFormatError } from './bag-errors.js';
import type { StorageFile, StorageTopic, StoredMessage } from './bag-storage.js';
import { decompressHandlers, FileReadable, type DecompressHandlers } from './mcap-file.js';
import { parseQosProfiles } from './qos-profile.js';

type Channel = McapTypes.Channel;
type Schema = McapTypes.Schema;

interface ChannelTally {
  count: number;
  first?: bigint;
  last?: bigint;
}

/** What a streaming pass over an unindexed file found. */
interface StreamScan {
  schemas: Map<number, Schema>;
  channels: Map<number, Channel>;
  tallies: Map<number, ChannelTally>;
  damage: string;
}

const decoder = new TextDecoder();

function topicsOf(
  path: string,
  schemas: ReadonlyMap<number, Schema>,
  channels: ReadonlyMap<number, Channel>,
  counts: (channelId: number) => number,
): StorageTopic[] {
  const byName = new Map<string, StorageTopic>();
  for (const channel of channels.values()) {
    const existing = byName.get(channel.topic);
    if (existing) {
      existing.messageCount += counts(channel.id);
      continue;
    }
    const schema = schemas.get(channel.schemaId);
    let qos;
    try {
      qos = parseQosProfiles(channel.metadata.get('offered_qos_profiles'));
    } catch (error) {
      throw new BagFormatError(
        `${path}: channel ${channel.topic}: offered_qos_profiles: ${(error as Error).message}`,
      );
    }
    const topic: StorageTopic = {
      name: channel.topic,
      type: schema?.name ?? '',
      serializationFormat: channel.messageEncoding,
      messageCount: counts(channel.id),
      qos,
    };
    if (schema) topic.definition = { encoding: schema.encoding, text: decoder.decode(schema.data) };
    byName.set(channel.topic, topic);
  }
  return [...byName.values()];
}

async function streamRecords(
  readable: FileReadable,
  handlers: DecompressHandlers,
  onRecord: (record: McapTypes.TypedMcapRecord) => void,
): Promise<string> {
  const reader = new McapStreamReader({ decompressHandlers: handlers, validateCrcs: true });
  try {
    for await (const block of readable.blocks()) {
      reader.append(block);
      for (let record; (record = reader.nextRecord());) onRecord(record);
      if (reader.done()) return '';
    }
  } catch (error) {
    return `unreadable data after the last complete record: ${(error as Error).message}`;
  }
  return reader.bytesRemaining() > 0
    ? `file ends inside a record (${reader.bytesRemaining()} bytes cut short): no summary, read to the last complete record`
    : 'no summary (the recorder did not finish the file): read to the last complete record';
}

async function scan(readable: FileReadable, handlers: DecompressHandlers): Promise<StreamScan> {
  const result: StreamScan = { schemas: new Map(), channels: new Map(), tallies: new Map(), damage: '' };
  result.damage = await streamRecords(readable, handlers, (record) => {
    if (record.type === 'Schema') result.schemas.set(record.id, record);
    else if (record.type === 'Channel') result.channels.set(record.id, record);
    else if (record.type === 'Message') {
      const t = result.tallies.get(record.channelId) ?? { count: 0 };
      t.count++;
      if (t.first === undefined || record.logTime < t.first) t.first = record.logTime;
      if (t.last === undefined || record.logTime > t.last) t.last = record.logTime;
      result.tallies.set(record.channelId, t);
    }
  });
  return result;
}

export class McapStorageFile implements StorageFile {
  readonly storage = 'mcap';

  private constructor(
    readonly path: string,
    private readonly readable: FileReadable,
    private readonly handlers: DecompressHandlers,
    /** undefined: no usable summary, stream the file */
    private readonly indexed: McapIndexedReader | undefined,
    private readonly channels: ReadonlyMap<number, Channel>,
    readonly topics: StorageTopic[],
    readonly messageCount: number,
    readonly startTime: bigint | undefined,
    readonly endTime: bigint | undefined,
    readonly damage: string | undefined,
  ) {}

  static async open(path: string): Promise<McapStorageFile> {
    let readable: FileReadable;
    try {
      readable = await FileReadable.open(path);
    } catch (error) {
      throw new BagFormatError(`${path}: cannot open: ${(error as Error).message}`);
    }
    try {
      return await McapStorageFile.read(path, readable);
    } catch (error) {
      await readable.close();
      if (error instanceof BagFormatError) throw error;
      throw new BagFormatError(`${path}: not a readable MCAP file: ${(error as Error).message}`);
    }
  }

  private static async read(path: string, readable: FileReadable): Promise<McapStorageFile> {
    const size = await readable.size();
    const prefix = await readable.read(0n, size < 8n ? size : 8n);
    if (!hasMcapPrefix(new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength)))
      throw new BagFormatError(`${path}: not an MCAP file (no MCAP magic at the start)`);
    const handlers = await decompressHandlers();

    let indexed: McapIndexedReader | undefined;
    try {
      indexed = await McapIndexedReader.Initialize({ readable, decompressHandlers: handlers });
    } catch {
      indexed = undefined; // no footer or summary: stream it below
    }

    if (indexed && (indexed.chunkIndexes.length > 0 || indexed.statistics?.messageCount === 0n)) {
      const counts = new Map<number, number>();
      if (indexed.statistics) {
        for (const [id, n] of indexed.statistics.channelMessageCounts) counts.set(id, Number(n));
      } else {
        // No Statistics record (e.g. files written by the Python rosbags library): count.
        for await (const m of indexed.readMessages())
          counts.set(m.channelId, (counts.get(m.channelId) ?? 0) + 1);
      }
      const topics = topicsOf(path, indexed.schemasById, indexed.channelsById, (id) => counts.get(id) ?? 0);
      const messageCount = [...counts.values()].reduce((a, b) => a + b, 0);
      let startTime: bigint | undefined;
      let endTime: bigint | undefined;
      if (messageCount > 0) {
        for (const c of indexed.chunkIndexes) {
          if (startTime === undefined || c.messageStartTime < startTime) startTime = c.messageStartTime;
          if (endTime === undefined || c.messageEndTime > endTime) endTime = c.messageEndTime;
        }
      }
      return new McapStorageFile(
        path,
        readable,
        handlers,
        indexed,
        indexed.channelsById,
        topics,
        messageCount,
        startTime,
        endTime,
        undefined,
      );
    }

    const found = await scan(readable, handlers);
    const tally = (id: number) => found.tallies.get(id)?.count ?? 0;
    const topics = topicsOf(path, found.schemas, found.channels, tally);
    let startTime: bigint | undefined;
    let endTime: bigint | undefined;
    for (const t of found.tallies.values()) {
      if (t.first !== undefined && (startTime === undefined || t.first < startTime)) startTime = t.first;
      if (t.last !== undefined && (endTime === undefined || t.last > endTime)) endTime = t.last;
    }
    const messageCount = [...found.tallies.values()].reduce((a, t) => a + t.count, 0);
    return new McapStorageFile(
      path,
      readable,
      handlers,
      undefined,
      found.channels,
      topics,
      messageCount,
      startTime,
      endTime,
      found.damage || undefined,
    );
  }

  async *messages(topics?: ReadonlySet<string>): AsyncGenerator<StoredMessage> {
    const wanted = (channelId: number) => {
      const channel = this.channels.get(channelId);
      return channel !== undefined && (!topics || topics.has(channel.topic));
    };
    if (this.indexed) {
      const names = topics ? [...topics] : undefined;
      for await (const m of this.indexed.readMessages(names ? { topics: names } : {})) {
        if (wanted(m.channelId))
          yield { topic: this.channels.get(m.channelId)!.topic, logTime: m.logTime, data: m.data };
      }
      return;
    }
    const pending: StoredMessage[] = [];
    const reader = new McapStreamReader({ decompressHandlers: this.handlers, validateCrcs: true });
    try {
      for await (const block of this.readable.blocks()) {
        reader.append(block);
        for (let record; (record = reader.nextRecord());) {
          if (record.type === 'Message' && wanted(record.channelId)) {
            pending.push({
              topic: this.channels.get(record.channelId)!.topic,
              logTime: record.logTime,
              data: record.data,
            });
          }
        }
        yield* pending.splice(0);
        if (reader.done()) return;
      }
    } catch {
      // The damaged tail (see `damage`): everything before it has been read.
      yield* pending.splice(0);
    }
  }

  close(): Promise<void> {
    return this.readable.close();
  }
}
