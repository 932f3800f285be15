// A task's cost spec from the VLM, through the cache: the stored answer of the same model to the same
// prompt version if there is one (without even building the request), else a new answer, stored only
// once it validated. A failed request or an invalid answer leaves the store exactly as it was.
import type { CompressedImage, Image } from '../messages/ros-messages.js';
import { PROMPT_VERSION, type CostSpecRequest } from './cost-prompt.js';
import type { CostSpecStore, StoredCostSpec } from './cost-spec-store.js';
import type { Objective } from './cost-spec.js';
import type { VlmCostClient } from './vlm-cost-client.js';

export interface VlmQuestion {
  request: CostSpecRequest;
  firstFrame: Image | CompressedImage;
}

export interface GeneratedVersion {
  record: StoredCostSpec;
  /** answered from the cache, without asking */
  cached: boolean;
}

export async function generateCostSpec(
  store: CostSpecStore,
  client: VlmCostClient,
  key: { task: string; objective: Objective },
  question: () => Promise<VlmQuestion>,
  options: { refresh?: boolean } = {},
): Promise<GeneratedVersion> {
  store.dir(key.task, key.objective); // a bad key fails before anything is asked
  if (!options.refresh) {
    const cached = store.cachedVlmSpec(key.task, key.objective, client.model, PROMPT_VERSION);
    if (cached) return { record: cached, cached: true };
  }
  const { request, firstFrame } = await question();
  if (request.task !== key.task || request.objective !== key.objective) {
    throw new Error(
      `the question is about ${request.task}/${request.objective}, not ${key.task}/${key.objective}`,
    );
  }
  const { spec, ...origin } = await client.generate(request, firstFrame);
  return { record: store.add(spec, { kind: 'vlm', ...origin }), cached: false };
}
