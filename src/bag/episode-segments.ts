// Where the episodes of a recorded bag begin and end:
//   topic:   grape's own /grape/episode_event (start … end/abort), which also carry the outcome;
//   service: ROS 2 service introspection of the node's start_episode / end_episode / abort services
//            (*/start_episode/_service_event …, Iron and later);
//   gap:     a pause longer than `gapNs` in the stream that drives the steps.
import { BagFormatError } from './bag-errors.js';
import type { BagReader } from './bag-reader.js';

export type SegmentBy = 'service' | 'topic' | 'gap';
export type SegmentOutcome = 'success' | 'failure' | 'aborted';

export interface Segment {
  /** ns since epoch, inclusive */
  start: bigint;
  /** ns since epoch, inclusive */
  end: bigint;
  outcome?: SegmentOutcome;
  taskId?: string;
  instruction?: string;
  notes?: string;
}

export interface SegmentOptions {
  by: SegmentBy;
  /** topic: the episode event topic (default /grape/episode_event) */
  eventTopic?: string;
  /** gap: the topic whose pauses split episodes, and the pause length (ns) */
  gapTopic?: string;
  gapNs?: bigint;
}

const OUTCOMES = new Set<string>(['success', 'failure', 'aborted']);

function outcomeOf(value: unknown): SegmentOutcome | undefined {
  return typeof value === 'string' && OUTCOMES.has(value) ? (value as SegmentOutcome) : undefined;
}

function parseDetail(detail: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(detail);
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

async function byEvents(bag: BagReader, topic: string): Promise<Segment[]> {
  const segments: Segment[] = [];
  let open: Segment | undefined;
  for await (const m of bag.decoded<{ kind: string; detail: string }>({ topics: [topic] })) {
    const detail = parseDetail(m.message.detail);
    if (m.message.kind === 'start') {
      if (open) segments.push({ ...open, end: m.logTime, notes: 'no end event before the next start' });
      open = { start: m.logTime, end: m.logTime };
      if (typeof detail.task_id === 'string') open.taskId = detail.task_id;
      if (typeof detail.instruction === 'string') open.instruction = detail.instruction;
    } else if (open && (m.message.kind === 'end' || m.message.kind === 'abort')) {
      open.end = m.logTime;
      const outcome = m.message.kind === 'abort' ? 'aborted' : outcomeOf(detail.outcome);
      if (outcome) open.outcome = outcome;
      if (typeof detail.notes === 'string') open.notes = detail.notes;
      segments.push(open);
      open = undefined;
    }
  }
  if (open)
    segments.push({ ...open, end: bag.info.endTime ?? open.start, notes: 'the bag ends before the episode' });
  return segments;
}

interface ServiceEvent {
  info: { event_type: number; client_gid: Uint8Array | number[]; sequence_number: bigint | number };
  request: Record<string, unknown>[];
}

// Each call shows up as up to four events (client sent, server received, and the same for the
// response); the first request-side event of each call marks it.
async function byServices(bag: BagReader): Promise<Segment[]> {
  const topicOf = (service: string) =>
    bag.info.topics.find((t) => t.name.endsWith(`/${service}/_service_event`))?.name;
  const startTopic = topicOf('start_episode');
  const endTopic = topicOf('end_episode');
  const abortTopic = topicOf('abort');
  if (!startTopic || !endTopic) {
    throw new BagFormatError(
      `${bag.info.path}: no start_episode/end_episode service events (record with service introspection on, or use --segment-by topic or gap)`,
    );
  }
  const seen = new Set<string>();
  const segments: Segment[] = [];
  let open: Segment | undefined;
  const topics = [startTopic, endTopic, ...(abortTopic ? [abortTopic] : [])];
  for await (const m of bag.decoded<ServiceEvent>({ topics })) {
    const { info, request } = m.message;
    if (info.event_type > 1) continue; // response events
    const call = `${m.topic} ${Array.from(info.client_gid).join('.')} ${info.sequence_number}`;
    if (seen.has(call)) continue;
    seen.add(call);
    const fields = request[0] ?? {};
    if (m.topic === startTopic) {
      if (open)
        segments.push({ ...open, end: m.logTime, notes: 'no end_episode call before the next start' });
      open = { start: m.logTime, end: m.logTime };
      for (const [key, name] of [
        ['task_id', 'taskId'],
        ['instruction', 'instruction'],
      ] as const) {
        if (typeof fields[key] === 'string' && fields[key] !== '') open[name] = fields[key];
      }
    } else if (open) {
      open.end = m.logTime;
      const outcome = m.topic === abortTopic ? 'aborted' : outcomeOf(fields.outcome);
      if (outcome) open.outcome = outcome;
      if (typeof fields.notes === 'string' && fields.notes !== '') open.notes = fields.notes;
      segments.push(open);
      open = undefined;
    }
  }
  if (open)
    segments.push({ ...open, end: bag.info.endTime ?? open.start, notes: 'the bag ends before the episode' });
  return segments;
}

async function byGaps(bag: BagReader, topic: string, gapNs: bigint): Promise<Segment[]> {
  const segments: Segment[] = [];
  let open: Segment | undefined;
  for await (const m of bag.messages({ topics: [topic] })) {
    if (open && m.logTime - open.end > gapNs) {
      segments.push(open);
      open = undefined;
    }
    if (open) open.end = m.logTime;
    else open = { start: m.logTime, end: m.logTime };
  }
  if (open) segments.push(open);
  return segments;
}

export async function findSegments(bag: BagReader, options: SegmentOptions): Promise<Segment[]> {
  switch (options.by) {
    case 'topic': {
      const topic = options.eventTopic ?? '/grape/episode_event';
      bag.topic(topic);
      return byEvents(bag, topic);
    }
    case 'service':
      return byServices(bag);
    case 'gap': {
      if (!options.gapTopic) throw new BagFormatError('segmenting by gap needs a topic to watch');
      return byGaps(bag, options.gapTopic, options.gapNs ?? 1_000_000_000n);
    }
  }
}
