// The MuJoCo WebAssembly module, loaded once per process, with the vendored Panda written into its
// virtual filesystem so scene files can include it.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import loadMujoco, { type MainModule } from 'mujoco-js';

export type Mujoco = MainModule;

/** Resolves to the same folder from src/sim/ and from dist/sim/ (the package ships src/). */
export const PANDA_ASSET_DIR = join(
  import.meta.dirname,
  '..',
  '..',
  'src',
  'sim',
  'assets',
  'franka_emika_panda',
);

/** Where scene files are written in the virtual filesystem; the Panda's meshdir resolves from here. */
export const VFS_MODEL_DIR = '/grape/panda';
export const VFS_ROBOT_FILE = 'panda.xml';

let loading: Promise<Mujoco> | undefined;

export function loadMujocoRuntime(): Promise<Mujoco> {
  loading ??= (async () => {
    const mj = await loadMujoco();
    for (const dir of ['/grape', VFS_MODEL_DIR, `${VFS_MODEL_DIR}/assets`]) mj.FS.mkdir(dir);
    mj.FS.writeFile(
      `${VFS_MODEL_DIR}/${VFS_ROBOT_FILE}`,
      readFileSync(join(PANDA_ASSET_DIR, VFS_ROBOT_FILE)),
    );
    for (const file of readdirSync(join(PANDA_ASSET_DIR, 'assets'))) {
      mj.FS.writeFile(`${VFS_MODEL_DIR}/assets/${file}`, readFileSync(join(PANDA_ASSET_DIR, 'assets', file)));
    }
    return mj;
  })();
  return loading;
}
