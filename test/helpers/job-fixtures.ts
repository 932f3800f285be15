// Job fixtures: a data dir whose index has an open session with one finished, bagless episode
// (enough for the job runner's bookkeeping; a job that reads bags needs real episodes).
import { EpisodeIndex } from '../../src/episode/episode-index.js';
import { tempDir } from './tpo-fixtures.js';

export function sessionDataDir(prefix: string): { dataDir: string; sessionId: string } {
  const dataDir = tempDir(prefix);
  const index = EpisodeIndex.open(dataDir);
  const session = index.startSession({ operator: 'tech' });
  const e = index.createEpisode({
    taskId: 'lift',
    instruction: 'lift',
    policyCheckpointId: 'm@1/base',
    sessionId: session.id,
  });
  index.finishEpisode(e.id, { status: 'complete', stepCount: 0, outcome: 'failure' });
  index.close();
  return { dataDir, sessionId: session.id };
}
