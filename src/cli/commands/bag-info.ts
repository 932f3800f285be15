// grape bag info <bag>: every topic of a rosbag2 bag (channels without messages included), its
// type, message count and QoS, and the bag's duration. Takes a bag directory or a bare .mcap/.db3.
import type { CommandModule } from 'yargs';

import { BagFormatError } from '../../bag/bag-errors.js';
import { BagReader, type BagInfo } from '../../bag/bag-reader.js';
import { describeQos, type QosProfile } from '../../bag/qos-profile.js';
import { printJson, printPairs, printTable } from '../output.js';
import type { GlobalArgs } from '../global-args.js';

interface Args extends GlobalArgs {
  bag: string;
  json: boolean;
}

/** BagInfo as JSON: nanosecond times as decimal strings (they exceed 2^53). */
export interface BagInfoJson {
  path: string;
  storage: string;
  metadataVersion?: number;
  rosDistro?: string;
  files: { path: string; bytes: number; messageCount: number; damage?: string }[];
  messageCount: number;
  startTime?: string;
  endTime?: string;
  duration: string;
  durationSeconds: number;
  topics: {
    name: string;
    type: string;
    serializationFormat: string;
    messageCount: number;
    qos: QosProfile[];
  }[];
}

export function bagInfoJson(info: BagInfo): BagInfoJson {
  const { startTime, endTime, duration, ...rest } = info;
  return {
    ...rest,
    ...(startTime !== undefined ? { startTime: String(startTime) } : {}),
    ...(endTime !== undefined ? { endTime: String(endTime) } : {}),
    duration: String(duration),
    durationSeconds: Number(duration) / 1e9,
  };
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

function seconds(ns: bigint): string {
  return ns < 1_000_000n ? `${ns} ns` : `${(Number(ns) / 1e9).toFixed(3)} s`;
}

function isoNs(ns: bigint): string {
  const ms = ns / 1_000_000n;
  const iso = new Date(Number(ms)).toISOString();
  return `${iso.slice(0, 19)}.${String(ns % 1_000_000_000n).padStart(9, '0')}Z`;
}

function printInfo(info: BagInfo): void {
  const size = info.files.reduce((n, f) => n + f.bytes, 0);
  const files = `${info.files.length} file${info.files.length === 1 ? '' : 's'}, ${bytes(size)}`;
  const metadata =
    info.metadataVersion === undefined ? 'no metadata.yaml' : `metadata.yaml v${info.metadataVersion}`;
  const rows: [string, string][] = [
    ['bag', info.path],
    ['storage', `${info.storage} (${files}, ${metadata})`],
    [
      'duration',
      info.startTime === undefined || info.endTime === undefined
        ? '0 s (no messages)'
        : `${seconds(info.duration)} (${isoNs(info.startTime)} → ${isoNs(info.endTime)})`,
    ],
    ['messages', String(info.messageCount)],
  ];
  for (const f of info.files) if (f.damage) rows.push(['warning', `${f.path}: ${f.damage}`]);
  printPairs('grape bag info', rows);
  process.stdout.write('\n');
  printTable(
    ['topic', 'type', 'messages', 'format', 'qos'],
    info.topics.map((t) => [
      t.name,
      t.type,
      String(t.messageCount),
      t.serializationFormat,
      t.qos.length === 0 ? '-' : t.qos.map(describeQos).join('; '),
    ]),
  );
}

export const bagInfoCommand: CommandModule<GlobalArgs, Args> = {
  command: 'info <bag>',
  describe: 'Topics, types, message counts and duration of a bag (directory, .mcap or .db3)',
  builder: (y) =>
    y
      .positional('bag', { type: 'string', demandOption: true, describe: 'bag directory or .mcap/.db3 file' })
      .option('json', { type: 'boolean', default: false, describe: 'print JSON' })
      .strict(),
  handler: async (args) => {
    let bag: BagReader;
    try {
      bag = await BagReader.open(args.bag);
    } catch (error) {
      if (!(error instanceof BagFormatError)) throw error;
      process.stderr.write(`grape bag info: ${error.message}\n`);
      process.exitCode = 1;
      return;
    }
    try {
      if (args.json) printJson(bagInfoJson(bag.info));
      else printInfo(bag.info);
    } finally {
      await bag.close();
    }
  },
};
