// ROS 2 QoS profiles as rosbag2 stores them per topic (`offered_qos_profiles`). Up to metadata
// version 8 they are a YAML string holding a list with integer enums (rmw_qos_*_policy_e values);
// version 9 (Jazzy) writes a YAML list with enum names. We read both and write the integer form,
// which Humble and every later distro parse.
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';

export type HistoryPolicy = 'system_default' | 'keep_last' | 'keep_all' | 'unknown';
export type ReliabilityPolicy = 'system_default' | 'reliable' | 'best_effort' | 'unknown' | 'best_available';
export type DurabilityPolicy =
  'system_default' | 'transient_local' | 'volatile' | 'unknown' | 'best_available';
export type LivelinessPolicy =
  'system_default' | 'automatic' | 'manual_by_node' | 'manual_by_topic' | 'unknown' | 'best_available';

export interface QosDuration {
  sec: number;
  nsec: number;
}

export interface QosProfile {
  history: HistoryPolicy;
  depth: number;
  reliability: ReliabilityPolicy;
  durability: DurabilityPolicy;
  deadline: QosDuration;
  lifespan: QosDuration;
  liveliness: LivelinessPolicy;
  livelinessLeaseDuration: QosDuration;
  avoidRosNamespaceConventions: boolean;
}

// Index = the rmw enum's integer value.
const HISTORY: readonly HistoryPolicy[] = ['system_default', 'keep_last', 'keep_all', 'unknown'];
const RELIABILITY: readonly ReliabilityPolicy[] = [
  'system_default',
  'reliable',
  'best_effort',
  'unknown',
  'best_available',
];
const DURABILITY: readonly DurabilityPolicy[] = [
  'system_default',
  'transient_local',
  'volatile',
  'unknown',
  'best_available',
];
const LIVELINESS: readonly LivelinessPolicy[] = [
  'system_default',
  'automatic',
  'manual_by_node',
  'manual_by_topic',
  'unknown',
  'best_available',
];

/** RMW_DURATION_INFINITE as rosbag2 writes it (INT64_MAX ns split into sec/nsec). */
export const INFINITE_DURATION: Readonly<QosDuration> = Object.freeze({ sec: 9223372036, nsec: 854775807 });

function profile(overrides: Partial<QosProfile>): QosProfile {
  return {
    history: 'keep_last',
    depth: 10,
    reliability: 'reliable',
    durability: 'volatile',
    deadline: { ...INFINITE_DURATION },
    lifespan: { ...INFINITE_DURATION },
    liveliness: 'automatic',
    livelinessLeaseDuration: { ...INFINITE_DURATION },
    avoidRosNamespaceConventions: false,
    ...overrides,
  };
}

/** rclcpp::SensorDataQoS: what the policy node subscribes cameras and joints with. */
export const SENSOR_DATA_QOS: Readonly<QosProfile> = Object.freeze(
  profile({ depth: 5, reliability: 'best_effort' }),
);
/** rclcpp::QoS(10): reliable, volatile, keep last 10 (grape's own topics). */
export const RELIABLE_QOS: Readonly<QosProfile> = Object.freeze(profile({}));

// metadata.yaml is parsed with 64-bit integers as bigint (timestamps); QoS numbers are small.
function plain(value: unknown): unknown {
  return typeof value === 'bigint' ? Number(value) : value;
}

function enumValue<T extends string>(names: readonly T[], raw: unknown, field: string): T {
  const value = plain(raw);
  if (typeof value === 'number' && Number.isInteger(value) && names[value] !== undefined) return names[value];
  if (typeof value === 'string') {
    const name = value.toLowerCase() as T;
    if (names.includes(name)) return name;
  }
  throw new Error(
    `QoS ${field} ${JSON.stringify(value)} is not one of ${names.join(', ')} (or 0–${names.length - 1})`,
  );
}

function duration(value: unknown, field: string): QosDuration {
  if (value === undefined || value === null) return { ...INFINITE_DURATION };
  const v = value as Partial<Record<'sec' | 'nsec', unknown>>;
  const sec = plain(v.sec);
  const nsec = plain(v.nsec);
  if (typeof sec !== 'number' || typeof nsec !== 'number') {
    throw new Error(`QoS ${field} must be {sec, nsec}, got ${String(sec)}, ${String(nsec)}`);
  }
  return { sec, nsec };
}

function profileFromYaml(entry: unknown): QosProfile {
  if (typeof entry !== 'object' || entry === null)
    throw new Error(`QoS profile ${JSON.stringify(entry)} is not a map`);
  const e = entry as Record<string, unknown>;
  return {
    history: enumValue(HISTORY, e.history ?? 0, 'history'),
    depth: Number(plain(e.depth) ?? 0),
    reliability: enumValue(RELIABILITY, e.reliability ?? 0, 'reliability'),
    durability: enumValue(DURABILITY, e.durability ?? 0, 'durability'),
    deadline: duration(e.deadline, 'deadline'),
    lifespan: duration(e.lifespan, 'lifespan'),
    liveliness: enumValue(LIVELINESS, e.liveliness ?? 0, 'liveliness'),
    livelinessLeaseDuration: duration(e.liveliness_lease_duration, 'liveliness_lease_duration'),
    avoidRosNamespaceConventions: e.avoid_ros_namespace_conventions === true,
  };
}

/**
 * `offered_qos_profiles` in any form rosbag2 has written: a YAML string (possibly empty) or,
 * from metadata version 9, a YAML list; enums as integers or names.
 */
export function parseQosProfiles(value: unknown): QosProfile[] {
  if (value === undefined || value === null || value === '') return [];
  const list: unknown = typeof value === 'string' ? parseYaml(value) : value;
  if (list === null || list === undefined) return [];
  if (!Array.isArray(list)) throw new Error(`offered_qos_profiles is not a list: ${JSON.stringify(value)}`);
  return list.map(profileFromYaml);
}

/** The YAML string Humble through Rolling read from metadata.yaml (v5–8) and MCAP channel metadata. */
export function serializeQosProfiles(profiles: readonly QosProfile[]): string {
  const list = profiles.map((p) => ({
    history: HISTORY.indexOf(p.history),
    depth: p.depth,
    reliability: RELIABILITY.indexOf(p.reliability),
    durability: DURABILITY.indexOf(p.durability),
    deadline: p.deadline,
    lifespan: p.lifespan,
    liveliness: LIVELINESS.indexOf(p.liveliness),
    liveliness_lease_duration: p.livelinessLeaseDuration,
    avoid_ros_namespace_conventions: p.avoidRosNamespaceConventions,
  }));
  return stringifyYaml(list).trimEnd();
}

/** e.g. "reliable, volatile, keep_last(10)" */
export function describeQos(p: QosProfile): string {
  const history = p.history === 'keep_last' ? `keep_last(${p.depth})` : p.history;
  return `${p.reliability}, ${p.durability}, ${history}`;
}
