// Raw subscriptions hand over the serialized (CDR) message as it came off the wire: the recorder
// keeps those bytes, and the policy gets the message decoded from them with the same definitions
// the bags are written with.
import { MessageReader } from '@foxglove/rosmsg2-serialization';

import { knownType } from '../bag/message-definitions.js';

export class CdrMessageDecoder {
  private readonly reader: MessageReader;

  constructor(readonly type: string) {
    this.reader = new MessageReader(knownType(type).definitions);
  }

  /** Decodes `bytes`; array fields are views of them, so the bytes must not be reused. */
  decode(bytes: Uint8Array): unknown {
    try {
      return this.reader.readMessage(bytes);
    } catch (error) {
      throw new Error(
        `a ${bytes.byteLength}-byte message does not decode as ${this.type}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  }
}
