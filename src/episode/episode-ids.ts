// Ids and on-disk places of episodes and sessions. Both are generated here, never taken from user
// input: a task id or an instruction is data in the index, not part of any path.
import { randomBytes } from 'node:crypto';
import { isAbsolute, relative, resolve, sep } from 'node:path';

/** Where episode bags live under the data dir: episodes/<UTC date>/<episode id>/. */
const EPISODES_DIR = 'episodes';

const ID_PATTERN = /^(ep|ses)-(\d{8})-(\d{6})-([0-9a-f]{6})$/;

function timestampedId(prefix: 'ep' | 'ses', now: Date): string {
  const iso = now.toISOString(); // 2026-11-25T01:30:00.000Z
  const date = iso.slice(0, 10).replaceAll('-', '');
  const time = iso.slice(11, 19).replaceAll(':', '');
  return `${prefix}-${date}-${time}-${randomBytes(3).toString('hex')}`;
}

/** e.g. ep-20261125-013000-3f9a1c: sorts by start time, unique, safe as a file name. */
export function newEpisodeId(now = new Date()): string {
  return timestampedId('ep', now);
}

export function newSessionId(now = new Date()): string {
  return timestampedId('ses', now);
}

/** The bag directory of an episode, relative to the data dir. */
export function episodeBagDir(episodeId: string): string {
  const match = ID_PATTERN.exec(episodeId);
  if (match?.[1] !== 'ep') throw new Error(`not an episode id: ${JSON.stringify(episodeId)}`);
  const day = match[2]!;
  return [EPISODES_DIR, `${day.slice(0, 4)}-${day.slice(4, 6)}-${day.slice(6)}`, episodeId].join('/');
}

/** The MCAP file of an episode's bag (rosbag2 names storage files <bag>_<split>.mcap). */
export function episodeMcapName(episodeId: string): string {
  return `${episodeId}_0.mcap`;
}

/** An index path resolved under the data dir; anything that would leave it is refused. */
export function resolveInDataDir(dataDir: string, relativePath: string): string {
  const root = resolve(dataDir);
  const full = resolve(root, relativePath);
  const rel = relative(root, full);
  if (
    isAbsolute(relativePath) ||
    rel === '' ||
    rel.startsWith(`..${sep}`) ||
    rel === '..' ||
    isAbsolute(rel)
  ) {
    throw new Error(`path ${JSON.stringify(relativePath)} is not inside the data dir ${root}`);
  }
  return full;
}
