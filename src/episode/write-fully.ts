import type { FileHandle } from 'node:fs/promises';

/** Writes all of `bytes` (a write may take fewer), at `position` or, when null, where the file is. */
export async function writeFully(
  handle: FileHandle,
  bytes: Uint8Array,
  position: number | null,
): Promise<void> {
  for (let done = 0; done < bytes.byteLength;) {
    const at = position === null ? null : position + done;
    const { bytesWritten } = await handle.write(bytes, done, bytes.byteLength - done, at);
    done += bytesWritten;
  }
}
