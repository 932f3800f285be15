// ROS 2 message definitions: parsed from the ros2msg text a bag embeds, taken from the common
// definitions bundled with @foxglove/rosmsg-msgs-common where a bag carries none, and written
// back as ros2msg text with every dependency (the MCAP ros2 profile's schema format).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { parse } from '@foxglove/rosmsg';
import { ros2humble, ros2jazzy } from '@foxglove/rosmsg-msgs-common';

import { BagFormatError } from './bag-errors.js';

export type MessageDefinition = ReturnType<typeof parse>[number];
type Field = MessageDefinition['definitions'][number];

/** rosbag2's separator between a type and each of its dependencies (MSG: pkg/Type). */
const SEPARATOR = '================================================================================';

/** The package's own interfaces (msg/*.msg at the package root, beside src/ and dist/). */
const GRAPE_MSG_DIR = fileURLToPath(new URL('../../msg/', import.meta.url));

// ROS 2 service introspection (Iron and later): the event every */_service_event topic carries.
const SERVICE_EVENT_INFO = `uint8 REQUEST_SENT=0
uint8 REQUEST_RECEIVED=1
uint8 RESPONSE_SENT=2
uint8 RESPONSE_RECEIVED=3
uint8 event_type
builtin_interfaces/Time stamp
char[16] client_gid
int64 sequence_number`;

/** sensor_msgs/msg/Image → sensor_msgs/Image (the form definitions are keyed by). */
function shortTypeName(type: string): string {
  return type.replace('/msg/', '/');
}

/** sensor_msgs/Image → sensor_msgs/msg/Image (the form rosbag2 topics carry). */
function fullTypeName(type: string): string {
  const parts = type.split('/');
  return parts.length === 2 ? `${parts[0]}/msg/${parts[1]}` : type;
}

const bundled = new Map<string, MessageDefinition>();
for (const set of [ros2humble, ros2jazzy] as Record<string, MessageDefinition>[]) {
  for (const [name, def] of Object.entries(set)) if (!bundled.has(name)) bundled.set(name, def);
}

function isPrimitive(field: Field): boolean {
  return !field.isComplex && field.type !== 'time' && field.type !== 'duration';
}

function dependencyName(field: Field): string {
  if (field.type === 'time') return 'builtin_interfaces/Time';
  if (field.type === 'duration') return 'builtin_interfaces/Duration';
  return field.type;
}

/** Root first, then every type it uses, each once (depth first, in field order). */
function withDependencies(root: MessageDefinition, lookup: (name: string) => MessageDefinition | undefined) {
  const out: MessageDefinition[] = [root];
  const seen = new Set<string>();
  const visit = (def: MessageDefinition) => {
    for (const field of def.definitions) {
      if (field.isConstant || isPrimitive(field)) continue;
      const name = dependencyName(field);
      if (seen.has(name)) continue;
      seen.add(name);
      const dep = lookup(name);
      if (!dep)
        throw new BagFormatError(`no definition for ${name} (used by ${def.name ?? 'the root type'})`);
      out.push(dep);
      visit(dep);
    }
  };
  visit(root);
  return out;
}

/** The common definition of a type (and its dependencies), or undefined if it is not bundled. */
export function bundledDefinitions(type: string): MessageDefinition[] | undefined {
  const root = bundled.get(shortTypeName(type));
  return root ? withDependencies(root, (name) => bundled.get(name)) : undefined;
}

// A service event type whose schema holds the .srv text (request --- response), as rosbag2
// wrote them on Rolling in 2023: rebuild the event message around the two halves.
function serviceEventDefinitions(type: string, text: string): MessageDefinition[] {
  const base = shortTypeName(type)
    .replace(/_Event$/, '')
    .replace('/srv/', '/');
  const [request = '', response = ''] = text.split(/^---\s*$/m);
  const half = (part: string, name: string): MessageDefinition[] => {
    const [root, ...deps] = parse(part, { ros2: true });
    return [{ ...root!, name }, ...deps];
  };
  const info = parse(SERVICE_EVENT_INFO, { ros2: true });
  const requestDefs = half(request, `${base}_Request`);
  const responseDefs = half(response, `${base}_Response`);
  const event: MessageDefinition = {
    name: shortTypeName(type),
    definitions: [
      { name: 'info', type: 'service_msgs/ServiceEventInfo', isComplex: true, isArray: false },
      { name: 'request', type: `${base}_Request`, isComplex: true, isArray: true, arrayUpperBound: 1 },
      { name: 'response', type: `${base}_Response`, isComplex: true, isArray: true, arrayUpperBound: 1 },
    ],
  };
  return [event, { ...info[0]!, name: 'service_msgs/ServiceEventInfo' }, ...requestDefs, ...responseDefs];
}

/**
 * Definitions (root first) from the ros2msg text of a schema. Empty text is a message without
 * fields (rosbag2 writes test_msgs/msg/Empty that way).
 */
export function parseSchema(type: string, text: string): MessageDefinition[] {
  const own = text.split(SEPARATOR)[0]!;
  try {
    if (/\/srv\/\w+_Event$/.test(type) && /^---\s*$/m.test(own)) return serviceEventDefinitions(type, text);
    const [root, ...deps] = parse(text, { ros2: true });
    return [{ ...root!, name: shortTypeName(type) }, ...deps];
  } catch (error) {
    throw new BagFormatError(`definition of ${type} does not parse: ${(error as Error).message}`);
  }
}

function formatDefault(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(formatDefault).join(', ')}]`;
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}

function formatField(field: Field): string {
  let type = dependencyName(field);
  if (field.upperBound !== undefined) type += `<=${field.upperBound}`;
  if (field.isArray) {
    if (field.arrayLength !== undefined) type += `[${field.arrayLength}]`;
    else if (field.arrayUpperBound !== undefined) type += `[<=${field.arrayUpperBound}]`;
    else type += '[]';
  }
  if (field.isConstant) return `${type} ${field.name}=${field.valueText ?? String(field.value)}`;
  const init = field.defaultValue === undefined ? '' : ` ${formatDefault(field.defaultValue)}`;
  return `${type} ${field.name}${init}`;
}

/** ros2msg text of one definition (no dependencies). */
function formatDefinition(def: MessageDefinition): string {
  return def.definitions.map(formatField).join('\n');
}

/** ros2msg schema text: the type, then each dependency after a `MSG: pkg/Type` separator. */
function schemaText(own: string, deps: MessageDefinition[]): string {
  return [own, ...deps.map((d) => `${SEPARATOR}\nMSG: ${d.name ?? ''}\n${formatDefinition(d)}`)].join('\n');
}

export interface KnownType {
  /** e.g. grape/msg/PolicyStep */
  name: string;
  /** root first */
  definitions: MessageDefinition[];
  /** ros2msg text with every dependency, for an MCAP schema */
  schema: string;
}

/** A type of package grape (msg/<Name>.msg), with its dependencies from the common definitions. */
function grapeType(type: string): KnownType | undefined {
  const match = /^grape\/(?:msg\/)?(\w+)$/.exec(type);
  if (!match) return undefined;
  let text: string;
  try {
    text = readFileSync(`${GRAPE_MSG_DIR}${match[1]!}.msg`, 'utf8');
  } catch {
    return undefined;
  }
  // Its dependencies are not in the file, so resolve names later, against the common definitions.
  const [root] = parse(text, { ros2: true, skipTypeFixup: true });
  const dependencies = withDependencies({ ...root!, name: shortTypeName(type) }, (name) => bundled.get(name));
  return typeFromSchema(type, schemaText(text.trimEnd(), dependencies.slice(1)));
}

/** Definitions parsed back from the schema text we write, so writer and readers agree by construction. */
function typeFromSchema(type: string, schema: string): KnownType {
  return { name: fullTypeName(type), definitions: parseSchema(fullTypeName(type), schema), schema };
}

const known = new Map<string, KnownType>();

/** A type grape can write: its own (msg/) or a bundled common one. */
export function knownType(type: string): KnownType {
  const name = fullTypeName(type);
  let entry = known.get(name);
  if (!entry) {
    entry = grapeType(name);
    if (!entry) {
      const definitions = bundledDefinitions(name);
      if (!definitions)
        throw new BagFormatError(`unknown message type ${name}: not a grape or common ROS 2 type`);
      entry = typeFromSchema(name, schemaText(formatDefinition(definitions[0]!), definitions.slice(1)));
    }
    known.set(name, entry);
  }
  return entry;
}
