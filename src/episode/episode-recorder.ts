// Records episodes as rosbag2 bags, one directory per episode under the data dir:
//   episodes/<date>/<episode id>/<episode id>_0.mcap + metadata.yaml (version 5, Humble and later)
// with the camera and joint messages as received (within the camera's disk budget), every policy
// step on /grape/step and the episode's events on /grape/episode_event, and a row in the episode
// index. See mcap-bag-writer.ts for crash safety.
//
// The recorder lives as long as the node: open() also recovers episodes an earlier recorder left
// unfinished. record()/step()/event() are synchronous, cheap, and never throw for I/O: a failing
// disk stops the episode (onError, and the index row says why), not the process.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { MessageReader, MessageWriter } from '@foxglove/rosmsg2-serialization';

import { knownType } from '../bag/message-definitions.js';
import { RELIABLE_QOS, SENSOR_DATA_QOS, serializeQosProfiles, type QosProfile } from '../bag/qos-profile.js';
import { timeFromNanoseconds, type Image } from '../messages/ros-messages.js';
import { CdrSerializer } from './cdr-serializer.js';
import { startChunkPacker } from './chunk-packer.js';
import { CameraBudget, checkCameraBudget, type CameraBudgetOptions } from './camera-budget.js';
import { episodeMcapName } from './episode-ids.js';
import { EpisodeIndex, type Episode, type NewEpisode, type Outcome } from './episode-index.js';
import { recoverEpisodes, type RecoveryReport } from './episode-recovery.js';
import { downscaleImage } from './image-downscale.js';
import { asciiJson } from './ascii-json.js';
import { writeMcapBagMetadata } from './mcap-bag-metadata.js';
import { McapBagWriter } from './mcap-bag-writer.js';
import type { ChunkCompression } from './mcap-chunk.js';
import {
  EVENT_TOPIC,
  EVENT_TYPE,
  STEP_TOPIC,
  STEP_TYPE,
  type EpisodeEvent,
  type EpisodeEventKind,
  type PolicyStep,
} from './policy-step.js';

const IMAGE_TYPE = 'sensor_msgs/msg/Image';

export interface RecordedTopic {
  name: string;
  /** e.g. sensor_msgs/msg/Image, sensor_msgs/msg/JointState */
  type: string;
  /** the QoS the publisher offered (default: sensor data for cameras, reliable otherwise) */
  qos?: QosProfile;
  /** a camera: its frames go through the disk budget */
  camera?: boolean;
}

export interface EpisodeRecorderOptions {
  dataDir: string;
  /** what to record besides /grape/step and /grape/episode_event */
  topics: readonly RecordedTopic[];
  /** camera disk budget; default 10 Hz (a typical control rate), full resolution */
  camera?: Partial<CameraBudgetOptions>;
  /** default zstd */
  compression?: ChunkCompression;
  /** default 1 MiB */
  chunkSize?: number;
  /** default 1000 ms */
  chunkMaxAgeMs?: number;
  /** messages arriving while this much is waiting for the disk are dropped (and counted); default 256 MiB */
  maxPendingBytes?: number;
  /** called once when a write error stops the episode being recorded */
  onError?: (error: RecorderError) => void;
  /** recover episodes earlier recorders left unfinished (default true) */
  recover?: boolean;
}

export type EpisodeStart = Omit<NewEpisode, 'policyCheckpointId'> & { policyId: string };

export interface EpisodeEnd {
  /** absent when unknown (a replayed bag without labels) */
  outcome?: Outcome;
  /** default: the number of collision events recorded */
  collisions?: number;
  notes?: string;
  /** why the episode ends before it was over (its row says 'incomplete', with this reason) */
  cutShort?: string;
}

export interface RecordingStats {
  episodeId: string;
  /** messages written, per topic */
  messages: Record<string, number>;
  /** messages dropped because the disk fell behind, per topic (0 is the goal) */
  dropped: Record<string, number>;
  /** camera frames left out by the budget */
  skippedFrames: number;
  /** serialized bytes of the messages recorded (before compression) */
  messageBytes: number;
  /** bytes and messages on disk: what survives if the process is killed now */
  bytesWritten: number;
  messagesOnDisk: number;
  /** bytes waiting for the disk */
  pendingBytes: number;
}

export class RecorderError extends Error {
  override readonly name = 'RecorderError';
  constructor(
    message: string,
    readonly episodeId: string | undefined,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

interface Channel {
  id: number;
  type: string;
  serializer: CdrSerializer;
  /** set for cameras: this episode's budget for the topic */
  budget?: CameraBudget;
}

interface Active {
  episode: Episode;
  dir: string;
  writer: McapBagWriter;
  channels: Map<string, Channel>;
  written: Map<string, number>;
  dropped: Map<string, number>;
  skippedFrames: number;
  messageBytes: number;
  steps: number;
  collisions: number;
  failure?: RecorderError;
}

const codecs = new Map<string, { writer: MessageWriter; reader: MessageReader }>();
function codec(type: string) {
  let c = codecs.get(type);
  if (!c) {
    const { definitions } = knownType(type);
    c = { writer: new MessageWriter(definitions), reader: new MessageReader(definitions) };
    codecs.set(type, c);
  }
  return c;
}

// Wall-clock ns with sub-ms resolution: the epoch offset of the monotonic clock, taken once.
const epochOffset = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
function wallClockNs(): bigint {
  return epochOffset + process.hrtime.bigint();
}

/** mkdir -p that reports the real cause (a recursive mkdir says ENOENT on a read-only filesystem). */
function makeDirectories(dir: string): void {
  if (existsSync(dir)) return;
  makeDirectories(dirname(dir));
  mkdirSync(dir);
}

function describeWriteError(error: NodeJS.ErrnoException): string {
  if (error.code === 'ENOSPC') return 'the disk is full';
  if (error.code === 'EDQUOT') return 'the disk quota is exhausted';
  return error.message;
}

export class EpisodeRecorder {
  private active: Active | undefined;
  private readonly camera: CameraBudgetOptions;

  private constructor(
    readonly index: EpisodeIndex,
    /** what open() recovered */
    readonly recovery: RecoveryReport,
    private readonly options: EpisodeRecorderOptions,
  ) {
    this.camera = { rateHz: options.camera?.rateHz ?? 10, downscale: options.camera?.downscale ?? 1 };
    checkCameraBudget(this.camera);
    for (const t of options.topics) {
      knownType(t.type); // an unknown type is an error now, not at the first episode
      if (t.name === STEP_TOPIC || t.name === EVENT_TOPIC)
        throw new RecorderError(`${t.name} is grape's own topic`, undefined);
    }
  }

  static async open(options: EpisodeRecorderOptions): Promise<EpisodeRecorder> {
    if ((options.compression ?? 'zstd') === 'zstd') startChunkPacker(); // ready before the first chunk
    const index = EpisodeIndex.open(options.dataDir);
    try {
      const recovery =
        options.recover === false ? { recovered: [], skipped: [] } : await recoverEpisodes(index);
      return new EpisodeRecorder(index, recovery, options);
    } catch (error) {
      index.close();
      throw error;
    }
  }

  /** The id of the episode being recorded, if any. */
  get episodeId(): string | undefined {
    return this.active?.episode.id;
  }

  /** Starts recording an episode; `at` (ns since epoch) stamps its start event (sim time, say). */
  async startEpisode(start: EpisodeStart, at: bigint = wallClockNs()): Promise<Episode> {
    if (this.active) {
      throw new RecorderError(
        `episode ${this.active.episode.id} is still being recorded: end it first`,
        undefined,
      );
    }
    const { policyId, ...fields } = start;
    const episode = this.index.createEpisode({ ...fields, policyCheckpointId: policyId });
    const dir = this.index.bagDir(episode);
    const file = join(dir, episodeMcapName(episode.id));
    let writer: McapBagWriter;
    try {
      makeDirectories(dir);
      writer = await McapBagWriter.create(
        file,
        {
          compression: this.options.compression ?? 'zstd',
          chunkSize: this.options.chunkSize ?? 1 << 20,
          chunkMaxAgeMs: this.options.chunkMaxAgeMs ?? 1000,
          library: 'grape episode recorder (@mcap/core)',
        },
        (error) => {
          this.fail(error);
        },
      );
    } catch (error) {
      const reason = describeWriteError(error as NodeJS.ErrnoException);
      const message = `cannot record episode ${episode.id}: cannot create ${file}: ${reason}`;
      this.index.finishEpisode(episode.id, {
        status: 'incomplete',
        stepCount: 0,
        outcome: 'aborted',
        error: message,
      });
      throw new RecorderError(message, episode.id, { cause: error });
    }

    const channels = new Map<string, Channel>();
    const topics: RecordedTopic[] = [
      ...this.options.topics,
      { name: STEP_TOPIC, type: STEP_TYPE, qos: RELIABLE_QOS },
      { name: EVENT_TOPIC, type: EVENT_TYPE, qos: RELIABLE_QOS },
    ];
    const schemaIds = new Map<string, number>();
    for (const t of topics) {
      const type = knownType(t.type);
      let schemaId = schemaIds.get(type.name);
      if (schemaId === undefined) {
        schemaId = writer.addSchema(type.name, 'ros2msg', new TextEncoder().encode(type.schema));
        schemaIds.set(type.name, schemaId);
      }
      const qos = t.qos ?? (t.camera ? SENSOR_DATA_QOS : RELIABLE_QOS);
      const id = writer.addChannel(
        t.name,
        schemaId,
        'cdr',
        new Map([
          ['offered_qos_profiles', serializeQosProfiles([qos])],
          ['topic_type_hash', ''],
        ]),
      );
      const channel: Channel = {
        id,
        type: type.name,
        serializer: new CdrSerializer(codec(type.name).writer),
      };
      if (t.camera) channel.budget = new CameraBudget(this.camera);
      channels.set(t.name, channel);
    }
    writer.addMetadata('grape_episode', {
      episode_id: episode.id,
      task_id: episode.taskId,
      instruction: episode.instruction,
      seed: episode.seed === undefined ? '' : String(episode.seed),
      policy_id: episode.policyCheckpointId,
      operator: episode.operator ?? '',
      session_id: episode.sessionId ?? '',
      source: episode.source,
      source_bag: episode.sourceBag ?? '',
      started_at: episode.startedAt,
    });
    this.active = {
      episode,
      dir,
      writer,
      channels,
      written: new Map(),
      dropped: new Map(),
      skippedFrames: 0,
      messageBytes: 0,
      steps: 0,
      collisions: 0,
    };
    this.event(
      'start',
      { task_id: episode.taskId, instruction: episode.instruction, policy_id: policyId },
      at,
    );
    return episode;
  }

  /**
   * Records a message (a plain object shaped like its ROS type, or its CDR bytes from a raw
   * subscription, written as they are) received at `receivedAt` (ns since epoch). Returns
   * whether it was recorded: false when no episode is being recorded, a camera frame the budget
   * leaves out, or a message dropped because the disk fell behind or failed.
   */
  record(topic: string, message: object | Uint8Array, receivedAt: bigint): boolean {
    const a = this.active;
    if (!a || a.failure) return false;
    const channel = a.channels.get(topic);
    if (!channel) throw new RecorderError(`topic ${topic} was not declared to the recorder`, a.episode.id);
    let payload = message;
    if (channel.budget) {
      const verdict = channel.budget.admit(receivedAt);
      if (verdict === 'skip') {
        a.skippedFrames++;
        return false;
      }
      if (verdict === 'keep' && this.camera.downscale > 1 && channel.type === IMAGE_TYPE) {
        const image = (
          payload instanceof Uint8Array ? codec(IMAGE_TYPE).reader.readMessage(payload) : payload
        ) as Image;
        payload = downscaleImage(image, this.camera.downscale) ?? payload;
      }
    }
    let data: Uint8Array;
    if (payload instanceof Uint8Array) {
      data = payload;
    } else {
      try {
        data = channel.serializer.serialize(payload);
      } catch (error) {
        throw new RecorderError(
          `message on ${topic} does not serialize as ${channel.type}: ${(error as Error).message}`,
          a.episode.id,
        );
      }
    }
    if (a.writer.pendingBytes + data.byteLength > (this.options.maxPendingBytes ?? 256 << 20)) {
      a.dropped.set(topic, (a.dropped.get(topic) ?? 0) + 1);
      return false;
    }
    a.writer.addMessage(channel.id, receivedAt, data);
    a.messageBytes += data.byteLength;
    a.written.set(topic, (a.written.get(topic) ?? 0) + 1);
    return true;
  }

  /** Records one control step on /grape/step. */
  step(step: PolicyStep, at: bigint = wallClockNs()): boolean {
    const recorded = this.record(STEP_TOPIC, step, at);
    if (recorded) this.active!.steps++;
    return recorded;
  }

  /** Records an episode event on /grape/episode_event; `detail` is stored as JSON. */
  event(kind: EpisodeEventKind, detail: Record<string, unknown> = {}, at: bigint = wallClockNs()): boolean {
    const a = this.active;
    if (!a) return false;
    const message: EpisodeEvent = {
      header: { stamp: timeFromNanoseconds(at), frame_id: '' },
      episode_id: a.episode.id,
      kind,
      detail: asciiJson(detail),
    };
    const recorded = this.record(EVENT_TOPIC, message, at);
    if (recorded && kind === 'collision') a.collisions++;
    return recorded;
  }

  /**
   * For producers that can wait (replay, not a live robot): resolves once no more than
   * `maxPendingBytes` wait for the disk, so nothing is dropped however fast messages come.
   */
  async waitForDisk(maxPendingBytes = 64 << 20): Promise<void> {
    await this.active?.writer.whenBelow(maxPendingBytes);
  }

  stats(): RecordingStats | undefined {
    const a = this.active;
    if (!a) return undefined;
    return {
      episodeId: a.episode.id,
      messages: Object.fromEntries(a.written),
      dropped: Object.fromEntries(a.dropped),
      skippedFrames: a.skippedFrames,
      messageBytes: a.messageBytes,
      bytesWritten: a.writer.writtenBytes,
      messagesOnDisk: a.writer.messagesOnDisk,
      pendingBytes: a.writer.pendingBytes,
    };
  }

  /**
   * Ends the episode: writes the end event, the summary and metadata.yaml, and completes the
   * index row. After a write error the row keeps status 'damaged' and says why (`error`).
   */
  async endEpisode(end: EpisodeEnd, at: bigint = wallClockNs()): Promise<Episode> {
    const a = this.active;
    if (!a) throw new RecorderError('no episode is being recorded', undefined);
    const collisions = end.collisions ?? a.collisions;
    const ended = { outcome: end.outcome, collisions, notes: end.notes, cut_short: end.cutShort };
    this.event(end.outcome === 'aborted' ? 'abort' : 'end', ended, at);
    if (!a.failure) {
      a.writer.addMetadata('grape_episode_end', {
        outcome: end.outcome ?? '',
        collisions: String(collisions),
        step_count: String(a.steps),
        ended_at: new Date().toISOString(),
        notes: end.notes ?? '',
      });
    }
    try {
      await a.writer.close();
      writeMcapBagMetadata(a.dir, episodeMcapName(a.episode.id), a.writer.summary());
    } catch (error) {
      this.fail(error as Error);
    }
    this.active = undefined;
    const fields = {
      stepCount: a.steps,
      collisions,
      ...(end.outcome ? { outcome: end.outcome } : {}),
      ...(end.notes ? { notes: end.notes } : {}),
    };
    if (a.failure)
      return this.index.finishEpisode(a.episode.id, {
        ...fields,
        status: 'damaged',
        error: a.failure.message,
      });
    if (end.cutShort)
      return this.index.finishEpisode(a.episode.id, { ...fields, status: 'incomplete', error: end.cutShort });
    return this.index.finishEpisode(a.episode.id, { ...fields, status: 'complete' });
  }

  /** Ends an episode still being recorded (as cut short, 'incomplete'), and closes the index. */
  async close(reason = 'the recorder was closed during the episode'): Promise<void> {
    if (this.active) await this.endEpisode({ cutShort: reason });
    this.index.close();
  }

  private fail(error: Error): void {
    const a = this.active;
    if (!a || a.failure) return;
    const reason = describeWriteError(error);
    a.failure = new RecorderError(
      `episode ${a.episode.id}: writing ${a.writer.path} failed: ${reason}. Recording stopped; the bag reads back to its last flushed chunk, and grape recover repairs it.`,
      a.episode.id,
      { cause: error },
    );
    void a.writer.abandon();
    try {
      this.index.finishEpisode(a.episode.id, {
        status: 'damaged',
        stepCount: a.steps,
        error: a.failure.message,
      });
    } catch (indexError) {
      // The index may sit on the same full disk; endEpisode() tries again.
      a.failure.message += ` (the index could not be updated either: ${(indexError as Error).message})`;
    }
    this.options.onError?.(a.failure);
  }
}
