// Training fixtures: a model package with the default encoder and a small head (560 → 16 → 7×65),
// and episodes recorded through the real EpisodeRecorder with chosen per-step tokens, features,
// flags and logged log-likelihoods, so training data is read back from bags as in production.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { EpisodeIndex } from '../../src/episode/episode-index.js';
import { EpisodeRecorder } from '../../src/episode/episode-recorder.js';
import type { Outcome } from '../../src/episode/episode-index.js';
import { timeFromNanoseconds } from '../../src/messages/ros-messages.js';
import {
  buildDefaultModel,
  DEFAULT_BINS,
  initialHeadParameters,
} from '../../src/policy/default-model/default-model.js';
import { headSpecOf, writeModelPackage } from '../../src/policy/model-package.js';
import { randomArray } from './random.js';

export const SMALL_HIDDEN = [16];
export const FEATURES = 560;
export const DIMS = 7;
export const BINS = DEFAULT_BINS;

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `grape-${prefix}-`));
}

/** The default model with a small head (seeded), written under <dataDir>/models/small. */
export async function writeSmallModel(dataDir: string, seed = 0): Promise<string> {
  const contents = buildDefaultModel(seed);
  const manifest = {
    ...contents.manifest,
    name: 'small',
    head: { ...contents.manifest.head, hidden: SMALL_HIDDEN },
  };
  return writeModelPackage(join(dataDir, 'models', 'small'), {
    ...contents,
    manifest,
    head: initialHeadParameters(headSpecOf(manifest), seed),
  });
}

export interface FixtureStep {
  tokens: number[];
  features: Float32Array;
  flags: number;
  logp?: number;
}

export interface FixtureEpisode {
  taskId: string;
  seed: number;
  policyId: string;
  outcome: Outcome;
  steps: FixtureStep[];
}

/** A step whose every dim takes `token`, on seeded random features. */
export function step(token: number, featureSeed: number, flags = 0): FixtureStep {
  return {
    tokens: Array.from({ length: DIMS }, () => token),
    features: randomArray(FEATURES, featureSeed),
    flags,
  };
}

/** Records the episodes into the data dir's index and bags; returns their ids. */
export async function recordEpisodes(
  dataDir: string,
  episodes: readonly FixtureEpisode[],
): Promise<string[]> {
  const recorder = await EpisodeRecorder.open({ dataDir, topics: [] });
  const ids: string[] = [];
  let t = 1_764_000_000_000_000_000n;
  try {
    for (const e of episodes) {
      const episode = await recorder.startEpisode(
        { taskId: e.taskId, instruction: `do ${e.taskId}`, seed: e.seed, policyId: e.policyId },
        t,
      );
      e.steps.forEach((s, i) => {
        t += 100_000_000n;
        const hold = s.tokens.length === 0;
        recorder.step(
          {
            header: { stamp: timeFromNanoseconds(t), frame_id: '' },
            step: i,
            policy_id: e.policyId,
            tokens: Int32Array.from(s.tokens),
            action: new Float64Array(hold ? DIMS : s.tokens.length),
            logp: s.logp ?? -1,
            logp_dims: [],
            temperature: 1,
            top_k: 0,
            flags: s.flags,
            features: hold ? [] : s.features,
          },
          t,
        );
      });
      t += 100_000_000n;
      await recorder.endEpisode({ outcome: e.outcome }, t);
      ids.push(episode.id);
    }
  } finally {
    await recorder.close();
  }
  return ids;
}

/** Stores (chosen, rejected) pairs of recorded episode ids in the index. */
export function storePairs(
  dataDir: string,
  taskId: string,
  pairs: readonly [string, string][],
  iteration = 1,
): void {
  const index = EpisodeIndex.open(dataDir);
  try {
    for (const [chosen, rejected] of pairs)
      index.addPair({
        taskId,
        chosenEpisodeId: chosen,
        rejectedEpisodeId: rejected,
        iteration,
        chosenScore: 1,
        rejectedScore: 0,
      });
  } finally {
    index.close();
  }
}
