// metadata.yaml for a single-file MCAP bag, from the file's summary: what the recorder writes when
// an episode ends and what crash repair rewrites from a recovered file.
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { METADATA_FILE, serializeBagMetadata } from '../bag/bag-metadata.js';
import { parseQosProfiles } from '../bag/qos-profile.js';
import type { McapSummary } from './mcap-summary.js';

function mcapBagMetadataYaml(fileName: string, summary: McapSummary): string {
  const stats = summary.statistics;
  const schemaNames = new Map(summary.schemas.map((s) => [s.id, s.name]));
  const startTime = stats.messageCount > 0n ? stats.messageStartTime : 0n;
  const duration = stats.messageCount > 0n ? stats.messageEndTime - stats.messageStartTime : 0n;
  const messageCount = Number(stats.messageCount);
  return serializeBagMetadata({
    storageIdentifier: 'mcap',
    relativeFilePaths: [fileName],
    startTime,
    duration,
    messageCount,
    topics: summary.channels.map((c) => ({
      name: c.topic,
      type: schemaNames.get(c.schemaId) ?? '',
      serializationFormat: c.messageEncoding,
      qos: parseQosProfiles(c.metadata.get('offered_qos_profiles')),
      messageCount: Number(stats.channelMessageCounts.get(c.id) ?? 0n),
    })),
    compressionFormat: '',
    compressionMode: '',
    files: [{ path: fileName, startTime, duration, messageCount }],
  });
}

/** Writes <bagDir>/metadata.yaml atomically (a reader never sees half a file). */
export function writeMcapBagMetadata(bagDir: string, fileName: string, summary: McapSummary): void {
  const path = join(bagDir, METADATA_FILE);
  writeFileSync(`${path}.tmp`, mcapBagMetadataYaml(fileName, summary));
  renameSync(`${path}.tmp`, path);
}
