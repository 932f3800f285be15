// Repairs an MCAP file a recorder left without its summary (killed mid-episode, or stopped by a
// full disk): everything up to the last complete record is kept, a torn record at the end is cut
// off, and the summary (schemas, channels, statistics, metadata and chunk indexes) is rebuilt from
// what the file holds and appended, so indexed readers (ros2 bag, Foxglove, @mcap/core) open it.
// The data section is not rewritten, except a last chunk whose message indexes were cut off,
// which is re-encoded from its own records.
import { open } from 'node:fs/promises';

import { McapChunkBuilder, McapIndexedReader, McapStreamReader, type McapTypes } from '@mcap/core';

import { BagFormatError } from '../bag/bag-errors.js';
import { decompressHandlers, FileReadable } from '../bag/mcap-file.js';
import { frameChunk, loadChunkCompression, packChunkRecords } from './mcap-chunk.js';
import { emptyStatistics, encodeSummary, type McapSummary } from './mcap-summary.js';
import { writeFully } from './write-fully.js';

export interface McapRepair {
  path: string;
  /** The file already had a valid summary; nothing was changed. */
  alreadyComplete: boolean;
  /** Bytes cut off the end (a record the crash left incomplete). */
  droppedBytes: number;
  summary: McapSummary;
}

interface OpenChunk {
  index: McapTypes.ChunkIndex;
  records: McapTypes.TypedMcapRecords['Schema' | 'Channel' | 'Message'][];
  channelsWithMessages: Set<number>;
}

async function summaryIfComplete(readable: FileReadable): Promise<McapSummary | undefined> {
  try {
    const reader = await McapIndexedReader.Initialize({
      readable,
      decompressHandlers: await decompressHandlers(),
    });
    if (!reader.statistics) return undefined;
    return {
      schemas: [...reader.schemasById.values()],
      channels: [...reader.channelsById.values()],
      statistics: reader.statistics,
      metadataIndexes: reader.metadataIndexes,
      chunkIndexes: reader.chunkIndexes,
    };
  } catch {
    return undefined;
  }
}

export async function repairMcapFile(path: string): Promise<McapRepair> {
  const readable = await FileReadable.open(path);
  const size = await readable.size();
  const schemas = new Map<number, McapTypes.Schema>();
  const channels = new Map<number, McapTypes.Channel>();
  const metadataIndexes: McapTypes.MetadataIndex[] = [];
  const chunkIndexes: McapTypes.ChunkIndex[] = [];
  const statistics = emptyStatistics();
  let header = false;
  let lastChunk: OpenChunk | undefined;
  /** end of the last complete data record: where the kept file ends */
  let dataEnd = 0n;
  try {
    const complete = await summaryIfComplete(readable);
    if (complete) return { path, alreadyComplete: true, droppedBytes: 0, summary: complete };

    const reader = new McapStreamReader({
      includeChunks: true,
      decompressHandlers: await decompressHandlers(),
      validateCrcs: true,
    });
    let appended = 0n;
    let previousEnd = 0n;
    scan: for await (const block of readable.blocks()) {
      reader.append(block);
      appended += BigInt(block.byteLength);
      for (;;) {
        let record: McapTypes.TypedMcapRecord | undefined;
        try {
          record = reader.nextRecord();
        } catch {
          break scan; // a damaged record: keep what came before it
        }
        if (!record) break;
        const end = appended - BigInt(reader.bytesRemaining());
        const start = previousEnd;
        // Records inside a chunk come after the chunk record, without moving the file position.
        const inChunk = end === previousEnd && lastChunk !== undefined;
        previousEnd = end;
        switch (record.type) {
          case 'Header':
            header = true;
            dataEnd = end;
            break;
          case 'Schema':
            schemas.set(record.id, record);
            if (inChunk) lastChunk!.records.push(record);
            else dataEnd = end;
            break;
          case 'Channel':
            channels.set(record.id, record);
            if (inChunk) lastChunk!.records.push(record);
            else dataEnd = end;
            break;
          case 'Message': {
            lastChunk?.records.push(record);
            lastChunk?.channelsWithMessages.add(record.channelId);
            if (!inChunk) dataEnd = end;
            const s = statistics;
            if (s.messageCount === 0n || record.logTime < s.messageStartTime)
              s.messageStartTime = record.logTime;
            if (s.messageCount === 0n || record.logTime > s.messageEndTime) s.messageEndTime = record.logTime;
            s.messageCount++;
            s.channelMessageCounts.set(
              record.channelId,
              (s.channelMessageCounts.get(record.channelId) ?? 0n) + 1n,
            );
            break;
          }
          case 'Chunk':
            lastChunk = {
              index: {
                messageStartTime: record.messageStartTime,
                messageEndTime: record.messageEndTime,
                chunkStartOffset: start,
                chunkLength: end - start,
                messageIndexOffsets: new Map(),
                messageIndexLength: 0n,
                compression: record.compression,
                compressedSize: BigInt(record.records.byteLength),
                uncompressedSize: record.uncompressedSize,
              },
              records: [],
              channelsWithMessages: new Set(),
            };
            chunkIndexes.push(lastChunk.index);
            dataEnd = end;
            break;
          case 'MessageIndex':
            if (lastChunk) {
              lastChunk.index.messageIndexOffsets.set(record.channelId, start);
              lastChunk.index.messageIndexLength += end - start;
            }
            dataEnd = end;
            break;
          case 'Metadata':
            metadataIndexes.push({ offset: start, length: end - start, name: record.name });
            dataEnd = end;
            break;
          case 'Attachment':
            statistics.attachmentCount++;
            dataEnd = end;
            break;
          default:
            break scan; // DataEnd or a summary record: the data section ends here
        }
      }
    }
  } finally {
    await readable.close();
  }
  if (!header) throw new BagFormatError(`${path}: no complete MCAP header: nothing to recover`);

  const droppedBytes = Number(size - dataEnd);
  // A last chunk whose message indexes were cut off is re-encoded, indexes and all.
  let rebuilt: Uint8Array | undefined;
  if (
    lastChunk &&
    [...lastChunk.channelsWithMessages].some((id) => !lastChunk.index.messageIndexOffsets.has(id))
  ) {
    const builder = new McapChunkBuilder({ useMessageIndex: true });
    for (const r of lastChunk.records) {
      if (r.type === 'Schema') builder.addSchema(r);
      else if (r.type === 'Channel') builder.addChannel(r);
      else builder.addMessage(r);
    }
    const start = lastChunk.index.chunkStartOffset;
    const compression = lastChunk.index.compression === 'zstd' ? 'zstd' : 'none';
    if (compression === 'zstd') await loadChunkCompression();
    const contents = {
      messageStartTime: builder.messageStartTime,
      messageEndTime: builder.messageEndTime,
      indices: [...builder.indices],
    };
    const encoded = frameChunk(contents, packChunkRecords(builder.buffer, compression), start);
    chunkIndexes[chunkIndexes.length - 1] = encoded.index;
    rebuilt = encoded.bytes;
    dataEnd = start + BigInt(encoded.bytes.byteLength);
  }

  statistics.schemaCount = schemas.size;
  statistics.channelCount = channels.size;
  statistics.metadataCount = metadataIndexes.length;
  statistics.chunkCount = chunkIndexes.length;
  for (const id of channels.keys())
    if (!statistics.channelMessageCounts.has(id)) statistics.channelMessageCounts.set(id, 0n);
  const summary: McapSummary = {
    schemas: [...schemas.values()],
    channels: [...channels.values()],
    statistics,
    metadataIndexes,
    chunkIndexes,
  };

  const keptEnd = rebuilt ? lastChunk!.index.chunkStartOffset : dataEnd;
  const handle = await open(path, 'r+');
  try {
    await handle.truncate(Number(keptEnd));
    const tail = encodeSummary(summary, dataEnd, 0);
    const bytes = rebuilt ? Buffer.concat([rebuilt, tail]) : tail;
    await writeFully(handle, bytes, Number(keptEnd));
    await handle.datasync();
  } finally {
    await handle.close();
  }
  return { path, alreadyComplete: false, droppedBytes, summary };
}
