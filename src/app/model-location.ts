// Where the CLI finds a policy when none is named: <data-dir>/models/grape-default, generated from
// the project's own code (seeded) the first time it is needed.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { buildDefaultModel, DEFAULT_MODEL_NAME } from '../policy/default-model/default-model.js';
import { writeModelPackage } from '../policy/model-package.js';

export function defaultModelDir(dataDir: string): string {
  return join(dataDir, 'models', DEFAULT_MODEL_NAME);
}

/** The default model's directory, built there first if it does not exist yet (returns whether it was). */
export async function ensureDefaultModel(dataDir: string): Promise<{ dir: string; created: boolean }> {
  const dir = defaultModelDir(dataDir);
  if (existsSync(join(dir, 'policy.json'))) return { dir, created: false };
  await writeModelPackage(dir, buildDefaultModel());
  return { dir, created: true };
}
