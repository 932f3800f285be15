// Runs an ES module given as source text in a child node (with tsx), for tests of what happens
// across processes: parallel opens, exits mid-work.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** A file of this repository as an import specifier for such a script (path relative to test/). */
export function testRelativeUrl(path: string): string {
  return JSON.stringify(pathToFileURL(join(import.meta.dirname, '..', path)).href);
}

export interface ScriptExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Runs `script` with `args` as process.argv[1…]; stdout is discarded. */
export async function runModuleScript(script: string, args: readonly string[]): Promise<ScriptExit> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  return { code, signal, stderr };
}
