import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** --data-dir default: $GRAPE_DATA_DIR, else ~/.grape. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.GRAPE_DATA_DIR ?? join(homedir(), '.grape'));
}
