// metadata.yaml of a rosbag2 directory: read every layout rosbag2 has written (versions 4–9:
// Foxy's v4 through Jazzy's v9), and write version 5, the layout Humble reads and every later
// distro still accepts.
import { parseDocument, stringify as stringifyYaml } from 'yaml';

import { BagFormatError } from './bag-errors.js';
import { parseQosProfiles, serializeQosProfiles, type QosProfile } from './qos-profile.js';

export const METADATA_FILE = 'metadata.yaml';
/** The version we write: Humble's. */
const WRITTEN_METADATA_VERSION = 5;

export interface BagMetadataTopic {
  name: string;
  /** e.g. sensor_msgs/msg/Image */
  type: string;
  serializationFormat: string;
  qos: QosProfile[];
  typeDescriptionHash?: string;
  messageCount: number;
}

export interface BagMetadataFile {
  path: string;
  startTime: bigint;
  duration: bigint;
  messageCount: number;
}

export interface BagMetadata {
  version: number;
  storageIdentifier: string;
  relativeFilePaths: string[];
  /** ns since epoch */
  startTime: bigint;
  /** ns */
  duration: bigint;
  messageCount: number;
  topics: BagMetadataTopic[];
  compressionFormat: string;
  compressionMode: string;
  /** Per-file information (v5 and later). */
  files: BagMetadataFile[];
  rosDistro?: string;
}

type Yaml = Record<string, unknown>;

function field(map: Yaml, key: string, where: string): unknown {
  if (!(key in map)) throw new BagFormatError(`${where}: missing ${key}`);
  return map[key];
}

function mapAt(value: unknown, where: string): Yaml {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new BagFormatError(`${where} is not a map`);
  }
  return value as Yaml;
}

function listAt(value: unknown, where: string): unknown[] {
  if (value === null || value === undefined) return [];
  if (!Array.isArray(value)) throw new BagFormatError(`${where} is not a list`);
  return value;
}

function bigintAt(value: unknown, where: string): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  throw new BagFormatError(`${where} is not an integer: ${JSON.stringify(String(value))}`);
}

function countAt(value: unknown, where: string): number {
  const n = bigintAt(value, where);
  if (n < 0n) throw new BagFormatError(`${where} is negative`);
  return Number(n);
}

function stringAt(value: unknown, where: string): string {
  if (value === null || value === undefined) return '';
  if (typeof value !== 'string') throw new BagFormatError(`${where} is not a string`);
  return value;
}

/** Parses the text of a metadata.yaml; `source` names the file in errors. */
export function parseBagMetadata(text: string, source: string): BagMetadata {
  const doc = parseDocument(text, { intAsBigInt: true });
  if (doc.errors.length > 0)
    throw new BagFormatError(`${source} is not valid YAML: ${doc.errors[0]!.message}`);
  const root = mapAt(doc.toJS(), source);
  const info = mapAt(
    field(root, 'rosbag2_bagfile_information', source),
    `${source}: rosbag2_bagfile_information`,
  );
  const where = (key: string) => `${source}: rosbag2_bagfile_information.${key}`;
  const version = countAt(field(info, 'version', source), where('version'));
  if (version < 1)
    throw new BagFormatError(`${where('version')} ${version} is not a rosbag2 metadata version`);

  const topics = listAt(info.topics_with_message_count, where('topics_with_message_count')).map(
    (entry, i) => {
      const at = `${where('topics_with_message_count')}[${i}]`;
      const e = mapAt(entry, at);
      const t = mapAt(field(e, 'topic_metadata', at), `${at}.topic_metadata`);
      let qos: QosProfile[];
      try {
        qos = parseQosProfiles(t.offered_qos_profiles);
      } catch (error) {
        throw new BagFormatError(`${at}.topic_metadata.offered_qos_profiles: ${(error as Error).message}`);
      }
      const topic: BagMetadataTopic = {
        name: stringAt(field(t, 'name', at), `${at}.name`),
        type: stringAt(field(t, 'type', at), `${at}.type`),
        serializationFormat: stringAt(field(t, 'serialization_format', at), `${at}.serialization_format`),
        qos,
        messageCount: countAt(e.message_count ?? 0, `${at}.message_count`),
      };
      if (typeof t.type_description_hash === 'string') topic.typeDescriptionHash = t.type_description_hash;
      return topic;
    },
  );

  const files = listAt(info.files, where('files')).map((entry, i) => {
    const at = `${where('files')}[${i}]`;
    const f = mapAt(entry, at);
    return {
      path: stringAt(field(f, 'path', at), `${at}.path`),
      startTime: bigintAt(
        mapAt(f.starting_time, `${at}.starting_time`).nanoseconds_since_epoch,
        `${at}.starting_time`,
      ),
      duration: bigintAt(mapAt(f.duration, `${at}.duration`).nanoseconds, `${at}.duration`),
      messageCount: countAt(f.message_count ?? 0, `${at}.message_count`),
    };
  });

  const metadata: BagMetadata = {
    version,
    storageIdentifier: stringAt(field(info, 'storage_identifier', source), where('storage_identifier')),
    relativeFilePaths: listAt(info.relative_file_paths, where('relative_file_paths')).map((p, i) =>
      stringAt(p, `${where('relative_file_paths')}[${i}]`),
    ),
    startTime: bigintAt(
      mapAt(info.starting_time, where('starting_time')).nanoseconds_since_epoch ?? 0,
      where('starting_time'),
    ),
    duration: bigintAt(mapAt(info.duration, where('duration')).nanoseconds ?? 0, where('duration')),
    messageCount: countAt(info.message_count ?? 0, where('message_count')),
    topics,
    compressionFormat: stringAt(info.compression_format, where('compression_format')),
    compressionMode: stringAt(info.compression_mode, where('compression_mode')),
    files,
  };
  if (typeof info.ros_distro === 'string') metadata.rosDistro = info.ros_distro;
  return metadata;
}

/** metadata.yaml text, version 5 layout (Humble's field list, QoS as an integer-enum YAML string). */
export function serializeBagMetadata(metadata: Omit<BagMetadata, 'version' | 'rosDistro'>): string {
  const ns = (n: bigint) => ({ nanoseconds: n });
  const since = (n: bigint) => ({ nanoseconds_since_epoch: n });
  const doc = {
    rosbag2_bagfile_information: {
      version: WRITTEN_METADATA_VERSION,
      storage_identifier: metadata.storageIdentifier,
      duration: ns(metadata.duration),
      starting_time: since(metadata.startTime),
      message_count: metadata.messageCount,
      topics_with_message_count: metadata.topics.map((t) => ({
        topic_metadata: {
          name: t.name,
          type: t.type,
          serialization_format: t.serializationFormat,
          offered_qos_profiles: serializeQosProfiles(t.qos),
        },
        message_count: t.messageCount,
      })),
      compression_format: metadata.compressionFormat,
      compression_mode: metadata.compressionMode,
      relative_file_paths: metadata.relativeFilePaths,
      files: metadata.files.map((f) => ({
        path: f.path,
        starting_time: since(f.startTime),
        duration: ns(f.duration),
        message_count: f.messageCount,
      })),
    },
  };
  return stringifyYaml(doc, { lineWidth: 0 });
}
