// The real default policy (generated encoder in onnxruntime-node, mlp head in the native addon),
// built into a temporary model package, for tests that need a policy to score with.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { loadPolicy, type LoadedPolicy } from '../../src/app/load-policy.js';
import { buildDefaultModel } from '../../src/policy/default-model/default-model.js';
import { writeModelPackage } from '../../src/policy/model-package.js';

export async function loadDefaultPolicy(): Promise<LoadedPolicy & { dir: string }> {
  const dir = await writeModelPackage(
    mkdtempSync(join(tmpdir(), 'grape-default-model-')),
    buildDefaultModel(0),
  );
  return { ...(await loadPolicy(dir, { device: 'cpu' })), dir };
}
