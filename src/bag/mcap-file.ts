// Reading MCAP files from disk with @mcap/core: a random-access readable over a file handle, and
// the chunk decompressors rosbag2 files use (zstd, lz4).
import { open, type FileHandle } from 'node:fs/promises';

import * as zstd from '@foxglove/wasm-zstd';
import lz4 from '@foxglove/wasm-lz4';
import type { McapTypes } from '@mcap/core';

export type DecompressHandlers = McapTypes.DecompressHandlers;

let handlers: Promise<DecompressHandlers> | undefined;

/** zstd and lz4 chunk decompression (WebAssembly, loaded once). */
export function decompressHandlers(): Promise<DecompressHandlers> {
  handlers ??= Promise.all([zstd.isLoaded, lz4.isLoaded]).then(() => ({
    zstd: (data, size) => zstd.decompress(data, Number(size)),
    lz4: (data, size) => lz4(data, Number(size)),
  }));
  return handlers;
}

/** An open MCAP (or any) file read at offsets: @mcap/core's IReadable. */
export class FileReadable implements McapTypes.IReadable {
  private constructor(
    private readonly handle: FileHandle,
    private readonly bytes: bigint,
  ) {}

  static async open(path: string): Promise<FileReadable> {
    const handle = await open(path, 'r');
    try {
      return new FileReadable(handle, BigInt((await handle.stat()).size));
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  size(): Promise<bigint> {
    return Promise.resolve(this.bytes);
  }

  async read(offset: bigint, size: bigint): Promise<Uint8Array> {
    if (offset + size > this.bytes)
      throw new Error(`read past the end of the file (${offset}+${size} > ${this.bytes})`);
    const buffer = Buffer.allocUnsafe(Number(size));
    let done = 0;
    while (done < buffer.length) {
      const { bytesRead } = await this.handle.read(buffer, done, buffer.length - done, Number(offset) + done);
      if (bytesRead === 0)
        throw new Error(`file ended at ${Number(offset) + done} while reading ${size} bytes`);
      done += bytesRead;
    }
    return buffer;
  }

  /** The file in pieces of `blockSize` bytes, for streaming readers. */
  async *blocks(blockSize = 4 << 20): AsyncGenerator<Uint8Array> {
    for (let offset = 0n; offset < this.bytes; offset += BigInt(blockSize)) {
      const end = offset + BigInt(blockSize) < this.bytes ? offset + BigInt(blockSize) : this.bytes;
      yield await this.read(offset, end - offset);
    }
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}
