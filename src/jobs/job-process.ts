// The processes a job runs in: the background process `grape jobs run <id>` (detached from the
// command or node that started it, output appended to the job's log), and a configured command (a
// shell command line, e.g. ssh to the GPU workstation) with the job's id, data dir and session
// substituted.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The package root (src/jobs/../.. or dist/jobs/../..). */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** How to start the grape CLI in another process: the built JavaScript, else the TypeScript source through tsx. */
export function cliEntry(): { execArgv: string[]; script: string } {
  const js = fileURLToPath(new URL('../cli/main.js', import.meta.url));
  if (existsSync(js)) return { execArgv: [], script: js };
  return { execArgv: ['--import', 'tsx'], script: fileURLToPath(new URL('../cli/main.ts', import.meta.url)) };
}

/** Starts a job's background process; returns its pid. */
export type JobLauncher = (dataDir: string, jobId: string, logPath: string) => number;

/**
 * `grape jobs run <id> --data-dir <dir>` as a detached process (its own process group, so
 * `grape jobs cancel` stops it and whatever it started), stdout and stderr appended to the log.
 */
export const spawnJobProcess: JobLauncher = (dataDir, jobId, logPath) => {
  const { execArgv, script } = cliEntry();
  const log = openSync(logPath, 'a');
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, [...execArgv, script, 'jobs', 'run', jobId, '--data-dir', dataDir], {
      cwd: ROOT,
      detached: true,
      stdio: ['ignore', log, log],
      env: process.env,
    });
  } finally {
    closeSync(log);
  }
  if (child.pid === undefined)
    throw new Error(`could not start the job process (${process.execPath} ${script})`);
  child.on('error', () => undefined); // reported by the job's status: its process is gone
  child.unref();
  return child.pid;
};

/** A value as one shell word. */
export function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

export const COMMAND_PLACEHOLDERS = ['job', 'data_dir', 'session'] as const;

/** The command line with {job}, {data_dir} and {session} replaced (shell-quoted); an unknown {name} is an error. */
export function substituteCommand(
  template: string,
  values: Record<(typeof COMMAND_PLACEHOLDERS)[number], string>,
): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    if (!(COMMAND_PLACEHOLDERS as readonly string[]).includes(name))
      throw new Error(
        `the job command ${JSON.stringify(template)} has an unknown placeholder ${whole} (known: ${COMMAND_PLACEHOLDERS.map((p) => `{${p}}`).join(', ')})`,
      );
    return shellQuote(values[name as keyof typeof values]);
  });
}

/**
 * Runs a shell command line; each line it prints goes to `onLine`. Resolves with its exit code (a
 * signal counts as 128 + its number, as a shell reports it). `onStart` gets the child, to stop it.
 */
export function runCommand(
  commandLine: string,
  onLine: (line: string) => void,
  onStart?: (child: ChildProcess) => void,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', commandLine], { stdio: ['ignore', 'pipe', 'pipe'] });
    onStart?.(child);
    const lines = (stream: NodeJS.ReadableStream) => {
      let rest = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        const parts = (rest + chunk).split('\n');
        rest = parts.pop()!;
        for (const p of parts) onLine(p);
      });
      stream.on('end', () => {
        if (rest) onLine(rest);
      });
    };
    lines(child.stdout);
    lines(child.stderr);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      resolve(code ?? 128 + (signal ? (SIGNAL_NUMBERS[signal] ?? 0) : 0));
    });
  });
}

const SIGNAL_NUMBERS: Partial<Record<NodeJS.Signals, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGKILL: 9,
  SIGTERM: 15,
};
