// What the grape policy subcommands share: the model package (--policy) and its checkpoint store
// over the data dir's episode index.
import type { Argv } from 'yargs';

import { defaultModelDir } from '../../app/model-location.js';
import { EpisodeIndex } from '../../episode/episode-index.js';
import { loadModelPackage } from '../../policy/model-package.js';
import { CheckpointStore } from '../../tpo/checkpoint-store.js';
import type { GlobalArgs } from '../global-args.js';

export interface PolicyArgs extends GlobalArgs {
  policy: string | undefined;
  json: boolean;
}

export function policyOptions<T>(y: Argv<T>) {
  return y
    .option('policy', {
      type: 'string',
      describe: 'model package directory (default: <data-dir>/models/grape-default)',
    })
    .option('json', { type: 'boolean', default: false, describe: 'print JSON' });
}

/** Runs `body` with the package's checkpoint store; the index is closed after. */
export async function withCheckpointStore<T>(
  args: PolicyArgs,
  body: (store: CheckpointStore) => Promise<T> | T,
): Promise<T> {
  const pkg = await loadModelPackage(args.policy ?? defaultModelDir(args['data-dir']));
  const index = EpisodeIndex.open(args['data-dir']);
  try {
    return await body(new CheckpointStore(index, pkg));
  } finally {
    index.close();
  }
}
