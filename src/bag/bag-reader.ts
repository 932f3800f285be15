// rosbag2 bags as one thing to read: a bag directory (metadata.yaml, any version 4–9, plus its
// storage files, possibly split) or a bare .mcap/.db3 file. Counts, types and the time range come
// from the storage files themselves (metadata.yaml can be stale or, in split bags, wrong); the
// topic list, formats and QoS from metadata.yaml where there is one.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';

import { MessageReader } from '@foxglove/rosmsg2-serialization';

import { BagFormatError } from './bag-errors.js';
import { METADATA_FILE, parseBagMetadata, type BagMetadata } from './bag-metadata.js';
import type { StorageFile, StorageTopic } from './bag-storage.js';
import { McapStorageFile } from './mcap-storage.js';
import { bundledDefinitions, parseSchema, type MessageDefinition } from './message-definitions.js';
import type { QosProfile } from './qos-profile.js';
import { SqliteStorageFile } from './sqlite-storage.js';

export type StorageId = 'mcap' | 'sqlite3';

export interface BagTopic {
  name: string;
  type: string;
  serializationFormat: string;
  messageCount: number;
  qos: QosProfile[];
}

export interface BagFileInfo {
  path: string;
  bytes: number;
  messageCount: number;
  /** Set when the file was read without its index (cut short or damaged), saying why. */
  damage?: string;
}

export interface BagInfo {
  path: string;
  storage: StorageId;
  /** metadata.yaml version, when the bag has one */
  metadataVersion?: number;
  rosDistro?: string;
  files: BagFileInfo[];
  topics: BagTopic[];
  messageCount: number;
  /** ns since epoch; undefined when the bag holds no message */
  startTime?: bigint;
  endTime?: bigint;
  /** ns */
  duration: bigint;
}

export interface BagMessage {
  topic: string;
  type: string;
  /** ns since epoch */
  logTime: bigint;
  /** serialized (CDR) bytes */
  data: Uint8Array;
}

export interface DecodedMessage<T = unknown> extends BagMessage {
  message: T;
}

const STORAGE_BY_EXTENSION: Record<string, StorageId> = { '.mcap': 'mcap', '.db3': 'sqlite3' };
const SQLITE_MAGIC = 'SQLite format 3\0';

async function sniffStorage(path: string): Promise<StorageId> {
  const byExtension = STORAGE_BY_EXTENSION[extname(path)];
  if (byExtension) return byExtension;
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(16);
    await handle.read(head, 0, 16, 0);
    if (head.subarray(0, 8).equals(Buffer.from([0x89, 0x4d, 0x43, 0x41, 0x50, 0x30, 0x0d, 0x0a])))
      return 'mcap';
    if (head.toString('latin1') === SQLITE_MAGIC) return 'sqlite3';
  } finally {
    await handle.close();
  }
  throw new BagFormatError(`${path}: neither an MCAP nor an SQLite (rosbag2 sqlite3) file`);
}

function checkStorage(identifier: string, source: string): StorageId {
  if (identifier === 'mcap' || identifier === 'sqlite3') return identifier;
  throw new BagFormatError(
    `${source}: storage '${identifier}' is not supported (grape reads mcap and sqlite3)`,
  );
}

/** Storage files of a directory without metadata.yaml, in split order (name_0, name_1, …). */
function storageFilesIn(dir: string): string[] {
  const files = readdirSync(dir).filter((f) => extname(f) in STORAGE_BY_EXTENSION);
  const split = (f: string) => Number(/_(\d+)\.\w+$/.exec(f)?.[1] ?? 0);
  return files.sort((a, b) => split(a) - split(b) || a.localeCompare(b)).map((f) => join(dir, f));
}

async function openStorage(path: string, storage: StorageId): Promise<StorageFile> {
  return storage === 'mcap' ? McapStorageFile.open(path) : SqliteStorageFile.open(path);
}

function definitionsFor(
  topic: StorageTopic | BagTopic,
  carried: StorageTopic['definition'],
): MessageDefinition[] {
  const type = topic.type;
  if (carried?.encoding === 'ros2msg' && carried.text.trim() !== '') return parseSchema(type, carried.text);
  const common = bundledDefinitions(type);
  if (common) return common;
  if (carried?.encoding === 'ros2msg') return parseSchema(type, carried.text); // a message without fields
  if (carried) {
    throw new BagFormatError(
      `topic ${topic.name}: the bag defines ${type} in '${carried.encoding}', which grape does not parse, and it is not a common ROS 2 type`,
    );
  }
  throw new BagFormatError(
    `topic ${topic.name}: no definition for ${type || 'its type'}: the bag carries none and it is not a common ROS 2 type`,
  );
}

export class BagReader {
  private readonly decoders = new Map<string, MessageReader>();

  private constructor(
    readonly info: BagInfo,
    private readonly files: StorageFile[],
    private readonly definitions: Map<string, StorageTopic['definition']>,
  ) {}

  /** Opens a bag directory or a bare .mcap/.db3 file. */
  static async open(path: string): Promise<BagReader> {
    const full = resolve(path);
    if (!existsSync(full)) throw new BagFormatError(`${path}: no such bag (file or directory)`);
    let metadata: BagMetadata | undefined;
    let storage: StorageId;
    let paths: string[];
    if (statSync(full).isDirectory()) {
      const metadataPath = join(full, METADATA_FILE);
      if (existsSync(metadataPath)) {
        metadata = parseBagMetadata(readFileSync(metadataPath, 'utf8'), metadataPath);
        storage = checkStorage(metadata.storageIdentifier, metadataPath);
        if (metadata.compressionMode !== '' && metadata.compressionMode.toLowerCase() !== 'none') {
          throw new BagFormatError(
            `${metadataPath}: rosbag2 ${metadata.compressionMode} compression (${metadata.compressionFormat}) is not supported: decompress the bag first (ros2 bag convert)`,
          );
        }
        paths = metadata.relativeFilePaths.map((f) => join(full, basename(f)));
        for (const p of paths) {
          if (!existsSync(p))
            throw new BagFormatError(`${metadataPath} lists ${basename(p)}, which is missing`);
        }
      } else {
        paths = storageFilesIn(full);
        if (paths.length === 0)
          throw new BagFormatError(`${path}: no ${METADATA_FILE} and no .mcap or .db3 file`);
        storage = STORAGE_BY_EXTENSION[extname(paths[0]!)]!;
        paths = paths.filter((p) => STORAGE_BY_EXTENSION[extname(p)] === storage);
      }
    } else {
      storage = await sniffStorage(full);
      paths = [full];
    }

    const files: StorageFile[] = [];
    try {
      for (const p of paths) files.push(await openStorage(p, storage));
    } catch (error) {
      await Promise.all(files.map((f) => f.close()));
      throw error;
    }
    const [info, definitions] = BagReader.combine(full, storage, metadata, files);
    return new BagReader(info, files, definitions);
  }

  private static combine(
    path: string,
    storage: StorageId,
    metadata: BagMetadata | undefined,
    files: StorageFile[],
  ): [BagInfo, Map<string, StorageTopic['definition']>] {
    const topics = new Map<string, BagTopic>();
    const definitions = new Map<string, StorageTopic['definition']>();
    for (const t of metadata?.topics ?? []) {
      topics.set(t.name, {
        name: t.name,
        type: t.type,
        serializationFormat: t.serializationFormat,
        messageCount: 0,
        qos: t.qos,
      });
    }
    for (const file of files) {
      for (const t of file.topics) {
        let topic = topics.get(t.name);
        if (!topic) {
          topic = {
            name: t.name,
            type: t.type,
            serializationFormat: t.serializationFormat,
            messageCount: 0,
            qos: t.qos,
          };
          topics.set(t.name, topic);
        }
        topic.messageCount += t.messageCount;
        if (topic.type === '') topic.type = t.type;
        if (topic.qos.length === 0) topic.qos = t.qos;
        if (t.definition && !definitions.has(t.name)) definitions.set(t.name, t.definition);
      }
    }
    let startTime: bigint | undefined;
    let endTime: bigint | undefined;
    for (const f of files) {
      if (f.startTime !== undefined && (startTime === undefined || f.startTime < startTime))
        startTime = f.startTime;
      if (f.endTime !== undefined && (endTime === undefined || f.endTime > endTime)) endTime = f.endTime;
    }
    const info: BagInfo = {
      path,
      storage,
      files: files.map((f) => {
        const entry: BagFileInfo = {
          path: f.path,
          bytes: statSync(f.path).size,
          messageCount: f.messageCount,
        };
        if (f.damage) entry.damage = f.damage;
        return entry;
      }),
      topics: [...topics.values()],
      messageCount: files.reduce((n, f) => n + f.messageCount, 0),
      duration: startTime !== undefined && endTime !== undefined ? endTime - startTime : 0n,
    };
    if (startTime !== undefined) info.startTime = startTime;
    if (endTime !== undefined) info.endTime = endTime;
    if (metadata) info.metadataVersion = metadata.version;
    if (metadata?.rosDistro) info.rosDistro = metadata.rosDistro;
    return [info, definitions];
  }

  topic(name: string): BagTopic {
    const topic = this.info.topics.find((t) => t.name === name);
    if (!topic) throw new BagFormatError(`${this.info.path}: no topic ${name}`);
    return topic;
  }

  /** Serialized messages, file after file (each file in log-time order). */
  async *messages(options: { topics?: readonly string[] } = {}): AsyncGenerator<BagMessage> {
    const wanted = options.topics ? new Set(options.topics) : undefined;
    if (wanted) for (const name of wanted) this.topic(name);
    const types = new Map(this.info.topics.map((t) => [t.name, t.type]));
    for (const file of this.files) {
      for await (const m of file.messages(wanted)) yield { ...m, type: types.get(m.topic) ?? '' };
    }
  }

  /** A CDR decoder for a topic; a clear error if its format or definition is not available. */
  decoder(topicName: string): (data: Uint8Array) => unknown {
    let reader = this.decoders.get(topicName);
    if (!reader) {
      const topic = this.topic(topicName);
      if (topic.serializationFormat !== 'cdr') {
        throw new BagFormatError(
          `${this.info.path}: topic ${topic.name} has serialization format '${topic.serializationFormat}'; grape decodes only cdr`,
        );
      }
      reader = new MessageReader(definitionsFor(topic, this.definitions.get(topicName)));
      this.decoders.set(topicName, reader);
    }
    const r = reader;
    return (data) => r.readMessage(data);
  }

  /** Decoded messages, in the order of messages(). */
  async *decoded<T = unknown>(
    options: { topics?: readonly string[] } = {},
  ): AsyncGenerator<DecodedMessage<T>> {
    for await (const m of this.messages(options)) {
      const decode = this.decoder(m.topic);
      let message: T;
      try {
        message = decode(m.data) as T;
      } catch (error) {
        throw new BagFormatError(
          `${this.info.path}: message on ${m.topic} at ${m.logTime} ns does not decode as ${m.type}: ${(error as Error).message}`,
        );
      }
      yield { ...m, message };
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.files.map((f) => f.close()));
  }
}
