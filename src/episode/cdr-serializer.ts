// Serializes messages of one type to CDR into a buffer it reuses: allocating a fresh buffer for
// every camera frame costs more (page faults) than serializing it. The bytes returned are only
// valid until the next call; the recorder copies them into the open chunk at once.
import type { MessageWriter } from '@foxglove/rosmsg2-serialization';

export class CdrSerializer {
  private scratch = new ArrayBuffer(0);

  constructor(private readonly writer: MessageWriter) {}

  serialize(message: unknown): Uint8Array {
    const size = this.writer.calculateByteSize(message);
    if (this.scratch.byteLength < size)
      this.scratch = new ArrayBuffer(Math.max(size, this.scratch.byteLength * 2));
    // MessageWriter passes `output` to CdrWriter as its buffer, which must be an ArrayBuffer
    // (a Uint8Array there fails), despite the declared type.
    return this.writer.writeMessage(message, this.scratch as unknown as Uint8Array);
  }
}
