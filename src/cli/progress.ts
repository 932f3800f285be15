// Progress bars for long work, on stderr (stdout stays clean for tables and --json).
import { SingleBar } from 'cli-progress';

export function progressBar(format: string): SingleBar {
  return new SingleBar({ format, stream: process.stderr, hideCursor: true });
}
