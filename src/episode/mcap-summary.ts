// The end of an MCAP file: DataEnd, the summary section (schemas, channels, statistics, metadata
// and chunk indexes, summary offsets), the footer and the closing magic. Written by the recorder
// when an episode ends and by crash repair from what a cut-short file holds.
import { crc32 } from 'node:zlib';

import { McapRecordBuilder, Opcode, type McapTypes } from '@mcap/core';

export interface McapSummary {
  schemas: readonly McapTypes.Schema[];
  channels: readonly McapTypes.Channel[];
  statistics: McapTypes.Statistics;
  metadataIndexes: readonly McapTypes.MetadataIndex[];
  chunkIndexes: readonly McapTypes.ChunkIndex[];
}

/** Statistics of a file with nothing in it yet. */
export function emptyStatistics(): McapTypes.Statistics {
  return {
    messageCount: 0n,
    schemaCount: 0,
    channelCount: 0,
    attachmentCount: 0,
    metadataCount: 0,
    chunkCount: 0,
    messageStartTime: 0n,
    messageEndTime: 0n,
    channelMessageCounts: new Map(),
  };
}

/**
 * Bytes to append at `dataEnd` (the end of the last data record). `dataSectionCrc` 0 means
 * unknown, as the MCAP spec allows.
 */
export function encodeSummary(summary: McapSummary, dataEnd: bigint, dataSectionCrc: number): Uint8Array {
  const out = new McapRecordBuilder();
  out.writeDataEnd({ dataSectionCrc });
  const summaryStart = dataEnd + BigInt(out.length);
  const offsets: McapTypes.SummaryOffset[] = [];
  const group = (opcode: Opcode, write: () => bigint) => {
    const groupStart = dataEnd + BigInt(out.length);
    const groupLength = write();
    if (groupLength > 0n) offsets.push({ groupOpcode: opcode, groupStart, groupLength });
  };
  const each =
    <T>(items: readonly T[], write: (item: T) => bigint) =>
    () =>
      items.reduce((n, item) => n + write(item), 0n);

  group(
    Opcode.SCHEMA,
    each(summary.schemas, (s) => out.writeSchema(s)),
  );
  group(
    Opcode.CHANNEL,
    each(summary.channels, (c) => out.writeChannel(c)),
  );
  group(Opcode.STATISTICS, () => out.writeStatistics(summary.statistics));
  group(
    Opcode.METADATA_INDEX,
    each(summary.metadataIndexes, (m) => out.writeMetadataIndex(m)),
  );
  group(
    Opcode.CHUNK_INDEX,
    each(summary.chunkIndexes, (c) => out.writeChunkIndex(c)),
  );
  const summaryOffsetStart = dataEnd + BigInt(out.length);
  for (const offset of offsets) out.writeSummaryOffset(offset);

  // The summary CRC covers the summary section and the footer up to the CRC field itself.
  const footerHead = new DataView(new ArrayBuffer(1 + 8 + 8 + 8));
  footerHead.setUint8(0, Opcode.FOOTER);
  footerHead.setBigUint64(1, 8n + 8n + 4n, true);
  footerHead.setBigUint64(9, summaryStart, true);
  footerHead.setBigUint64(17, summaryOffsetStart, true);
  const summaryBytes = out.buffer.subarray(Number(summaryStart - dataEnd));
  const summaryCrc = crc32(new Uint8Array(footerHead.buffer), crc32(summaryBytes));

  out.writeFooter({ summaryStart, summaryOffsetStart, summaryCrc });
  out.writeMagic();
  return out.buffer;
}
