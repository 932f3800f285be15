// One storage file of a rosbag2 bag (an .mcap or a .db3), as the bag reader sees it.
import type { QosProfile } from './qos-profile.js';

export interface StorageTopic {
  name: string;
  /** e.g. sensor_msgs/msg/Image ('' when the file does not say) */
  type: string;
  serializationFormat: string;
  messageCount: number;
  qos: QosProfile[];
  /** The message definition the file carries for the type, if any. */
  definition?: { encoding: string; text: string };
}

export interface StoredMessage {
  topic: string;
  /** ns since epoch (the time the recorder received the message) */
  logTime: bigint;
  /** serialized message, e.g. CDR */
  data: Uint8Array;
}

export interface StorageFile {
  readonly path: string;
  readonly storage: 'mcap' | 'sqlite3';
  readonly topics: readonly StorageTopic[];
  readonly messageCount: number;
  /** log time of the first and last message (undefined when the file holds none) */
  readonly startTime: bigint | undefined;
  readonly endTime: bigint | undefined;
  /**
   * Why the file is read without its index, if it is: an MCAP cut short (a recorder killed
   * mid-episode) has no summary and reads up to its last complete chunk.
   */
  readonly damage: string | undefined;
  /** Messages in log-time order (MCAP with a summary, sqlite3) or file order (MCAP without). */
  messages(topics?: ReadonlySet<string>): AsyncIterable<StoredMessage> | Iterable<StoredMessage>;
  close(): Promise<void>;
}
