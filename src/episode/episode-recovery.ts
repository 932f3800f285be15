// Finds episodes whose recorder never finished them (killed, crashed, or stopped by a write
// error), repairs their bags (summary and metadata.yaml rewritten from what is on disk) and marks
// them incomplete in the index. Runs when a recorder opens and from `grape recover`.
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

import { episodeMcapName } from './episode-ids.js';
import type { Episode, EpisodeIndex } from './episode-index.js';
import { writeMcapBagMetadata } from './mcap-bag-metadata.js';
import { repairMcapFile } from './mcap-repair.js';
import { STEP_TOPIC } from './policy-step.js';

export interface RecoveredEpisode {
  id: string;
  bagPath: string;
  /** messages the repaired bag holds */
  messages: number;
  steps: number;
  /** bytes of an unfinished record cut off the end */
  droppedBytes: number;
  note: string;
}

export interface RecoveryReport {
  recovered: RecoveredEpisode[];
  /** episodes left alone: their recorder is still running (or runs on another host) */
  skipped: { id: string; reason: string }[];
}

/** Why an episode's writer may still be at work, or undefined if it is gone. */
function liveWriter(e: Episode): string | undefined {
  if (e.status !== 'recording' || e.writerPid === undefined) return undefined;
  if (e.writerHost !== hostname())
    return `recorded on host ${e.writerHost ?? '?'}: recover it there (or --force)`;
  try {
    process.kill(e.writerPid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return undefined;
  }
  return `process ${e.writerPid} is still recording it`;
}

async function recoverOne(index: EpisodeIndex, e: Episode): Promise<RecoveredEpisode> {
  const cause =
    e.status === 'damaged'
      ? (e.error ?? 'the recorder failed')
      : 'the recorder stopped without ending the episode';
  const mcap = join(index.bagDir(e), episodeMcapName(e.id));
  const base = { id: e.id, bagPath: e.bagPath };
  if (!existsSync(mcap)) {
    const note = `${cause}; no bag file was written`;
    index.finishEpisode(e.id, { status: 'incomplete', stepCount: 0, error: note });
    return { ...base, messages: 0, steps: 0, droppedBytes: 0, note };
  }
  let repair;
  try {
    repair = await repairMcapFile(mcap);
  } catch (error) {
    const note = `${cause}; the bag could not be repaired: ${(error as Error).message}`;
    index.finishEpisode(e.id, { status: 'incomplete', stepCount: 0, error: note });
    return { ...base, messages: 0, steps: 0, droppedBytes: 0, note };
  }
  writeMcapBagMetadata(index.bagDir(e), episodeMcapName(e.id), repair.summary);
  const stats = repair.summary.statistics;
  const stepChannel = repair.summary.channels.find((c) => c.topic === STEP_TOPIC);
  const steps = stepChannel ? Number(stats.channelMessageCounts.get(stepChannel.id) ?? 0n) : 0;
  const note =
    `${cause}; recovered ${stats.messageCount} messages` +
    (repair.droppedBytes > 0 ? `, ${repair.droppedBytes} bytes of an unfinished chunk lost` : '');
  index.finishEpisode(e.id, { status: 'incomplete', stepCount: steps, error: note });
  return { ...base, messages: Number(stats.messageCount), steps, droppedBytes: repair.droppedBytes, note };
}

export async function recoverEpisodes(
  index: EpisodeIndex,
  options: { force?: boolean } = {},
): Promise<RecoveryReport> {
  const report: RecoveryReport = { recovered: [], skipped: [] };
  for (const e of index.episodes({ status: ['recording', 'damaged'] })) {
    const live = options.force ? undefined : liveWriter(e);
    if (live) report.skipped.push({ id: e.id, reason: live });
    else report.recovered.push(await recoverOne(index, e));
  }
  return report;
}
