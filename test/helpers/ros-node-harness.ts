// What the ROS adapter tests feed grape_policy: real message payloads from the rosbag fixtures (the
// CDR bytes as a ROS 2 publisher sent them, and the messages decoded from them), Panda joint states
// serialized the same way (no fixture has a Panda), and a wait for the node's asynchronous steps.
import { join } from 'node:path';

import { MessageWriter } from '@foxglove/rosmsg2-serialization';

import { BagReader, type DecodedMessage } from '../../src/bag/bag-reader.js';
import { knownType } from '../../src/bag/message-definitions.js';
import { sessionJoints } from './session-bag.js';

export const FIXTURES = join(import.meta.dirname, '..', '..', '..', 'shared', 'fixtures', 'rosbags');

/** The messages of `topic` in a fixture bag, with their CDR bytes. */
export async function fixtureMessages(bag: string, topic: string): Promise<DecodedMessage[]> {
  const reader = await BagReader.open(join(FIXTURES, bag));
  try {
    const out: DecodedMessage[] = [];
    for await (const m of reader.decoded({ topics: [topic] })) out.push(m);
    if (out.length === 0) throw new Error(`${bag} has no messages on ${topic}`);
    return out;
  } finally {
    await reader.close();
  }
}

const jointWriter = new MessageWriter(knownType('sensor_msgs/msg/JointState').definitions);

/** A Panda joint state (the default model's joints) at `t`, as CDR bytes. */
export function pandaJointsCdr(t: bigint, i: number): Uint8Array {
  return jointWriter.writeMessage(sessionJoints(t, i));
}

/** Resolves once `condition` holds (polling), or fails saying what did not happen. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
