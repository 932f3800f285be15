// A stand-in for the ROS 2 graph, shaped like the part of the rclnodejs API the adapter uses, for
// tests on machines without ROS 2. Only what needs rcl/rmw is faked (nodes, topics, services, timers,
// the clock); parameters, descriptors, ranges and QoS are rclnodejs's own classes (pure JavaScript),
// and the node's parameter handling mirrors rclnodejs's lib/node.js (overrides replace defaults,
// descriptors and read-only checked, on-set callbacks may veto). Published messages and service
// responses are checked field for field against the interface definitions (msg/, srv/, the common ones).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { parse } from '@foxglove/rosmsg';
import { MessageWriter } from '@foxglove/rosmsg2-serialization';
import {
  FloatingPointRange,
  IntegerRange,
  Parameter,
  ParameterDescriptor,
  ParameterType,
  parameterTypeFromValue,
} from 'rclnodejs/lib/parameter.js';
import QoS from 'rclnodejs/lib/qos.js';
import type { Parameter as RosParameter, ParameterDescriptor as RosParameterDescriptor } from 'rclnodejs';

import { knownType } from '../../src/bag/message-definitions.js';
import type { Rclnodejs } from '../../src/ros/rclnodejs-loader.js';

const ROOT = join(import.meta.dirname, '..', '..');

export interface FakeRosOptions {
  /** Parameter overrides, as `--ros-args -p name:=value` or a launch file would give them. */
  overrides?: Record<string, string | boolean | number | bigint | number[]>;
  /** Remapping rules by fully qualified name, as `--ros-args -r from:=to`. */
  remap?: Record<string, string>;
  /** Run timers on real intervals (a live node) instead of firing them from the test. */
  realTimers?: boolean;
  /** The ROS clock (ns); default: the graph's clockNs, which tests move. */
  clock?: () => bigint;
  /** Called with every message published (as it is published). */
  onPublish?: (topic: string, message: object) => void;
}

export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error' | 'fatal';
  message: string;
}

export interface FakePublisher {
  type: string;
  topic: string;
  qos: unknown;
  messages: object[];
}

export interface FakeSubscription {
  type: string;
  topic: string;
  qos: unknown;
  isRaw: boolean;
  callback: (message: unknown) => void;
}

export interface FakeTimer {
  period: bigint;
  callback: () => void;
  canceled: boolean;
  cancel(): void;
  isCanceled(): boolean;
}

type ServiceCallback = (request: object, response: { send(r: object): void }) => unknown;

/** The field names of a message type, from its definition. */
function fieldNames(type: string): string[] {
  return knownType(type)
    .definitions[0]!.definitions.filter((f) => f.isConstant !== true)
    .map((f) => f.name);
}

function responseFieldNames(type: string): string[] {
  if (type === 'std_srvs/srv/Trigger') return ['success', 'message'];
  const match = /^grape\/srv\/(\w+)$/.exec(type);
  if (!match) throw new Error(`the fake ROS graph knows no service type ${type}`);
  const text = readFileSync(join(ROOT, 'srv', `${match[1]!}.srv`), 'utf8');
  const response = text.split(/^---\s*$/m)[1]!;
  return parse(response, { ros2: true })[0]!
    .definitions.filter((f) => f.isConstant !== true)
    .map((f) => f.name);
}

function checkFields(what: string, expected: string[], value: object): void {
  const got = Object.keys(value);
  if (got.join() !== expected.join())
    throw new Error(`${what} has fields ${got.join(', ')}; its definition has ${expected.join(', ')}`);
}

export class FakeRosGraph {
  readonly publishers: FakePublisher[] = [];
  readonly subscriptions: FakeSubscription[] = [];
  readonly services = new Map<string, { type: string; callback: ServiceCallback }>();
  readonly timers: FakeTimer[] = [];
  readonly logs: LogEntry[] = [];
  readonly calls: string[] = [];
  clockNs = 1_764_000_000_000_000_000n;

  constructor(readonly options: FakeRosOptions = {}) {}

  now(): bigint {
    return this.options.clock ? this.options.clock() : this.clockNs;
  }

  publisher(topic: string): FakePublisher {
    const p = this.publishers.find((x) => x.topic === topic);
    if (!p)
      throw new Error(
        `nothing publishes on ${topic} (publishers: ${this.publishers.map((x) => x.topic).join(', ')})`,
      );
    return p;
  }

  subscription(topic: string): FakeSubscription {
    const s = this.subscriptions.find((x) => x.topic === topic);
    if (!s) throw new Error(`nothing subscribes to ${topic}`);
    return s;
  }

  /** A message arrives on `topic`: its CDR bytes for a raw subscription, else the message object. */
  deliver(topic: string, message: object | Uint8Array): void {
    const s = this.subscription(topic);
    if (s.isRaw !== message instanceof Uint8Array)
      throw new Error(`${topic} is ${s.isRaw ? '' : 'not '}a raw subscription`);
    s.callback(message instanceof Uint8Array ? Buffer.from(message) : message);
  }

  /** Calls a service as `ros2 service call` would, resolving with the response. */
  call(name: string, request: object): Promise<Record<string, unknown>> {
    const service = this.services.get(name);
    if (!service) throw new Error(`no service ${name} (services: ${[...this.services.keys()].join(', ')})`);
    return new Promise((resolve, reject) => {
      let sent = false;
      const response = {
        send: (r: object) => {
          sent = true;
          try {
            checkFields(`the ${name} response`, responseFieldNames(service.type), r);
            resolve(r as Record<string, unknown>);
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        },
      };
      Promise.resolve(service.callback(request, response)).then((returned) => {
        if (!sent && returned) response.send(returned);
      }, reject);
    });
  }

  /** Fires every live timer of the given period once (all live timers when none is given). */
  fire(period?: bigint): void {
    for (const t of this.timers)
      if (!t.canceled && (period === undefined || t.period === period)) t.callback();
  }

  /** The rclnodejs module, as the adapter sees it, on this graph. */
  rclnodejs(): Rclnodejs {
    return fakeRclnodejs(this);
  }
}

function fakeRclnodejs(graph: FakeRosGraph): Rclnodejs {
  class FakeNode {
    private readonly parameters = new Map<string, RosParameter>();
    private readonly descriptors = new Map<string, RosParameterDescriptor>();
    private readonly callbacks: ((p: RosParameter[]) => { successful: boolean; reason: string })[] = [];
    private readonly overrides: RosParameter[];
    private readonly logger = Object.fromEntries(
      (['debug', 'info', 'warn', 'error', 'fatal'] as const).map((level) => [
        level,
        (message: string) => {
          graph.logs.push({ level, message });
          return true;
        },
      ]),
    );
    destroyed = false;
    spinning = false;

    constructor(
      private readonly nodeName: string,
      private readonly ns = '',
    ) {
      // As rcl hands them over: integers (and integer lists) as bigint.
      this.overrides = Object.entries(graph.options.overrides ?? {}).map(([name, value]) => {
        const type = parameterTypeFromValue(value);
        const rosValue =
          type === ParameterType.PARAMETER_INTEGER_ARRAY ? (value as number[]).map((v) => BigInt(v)) : value;
        return new Parameter(name, type, rosValue);
      });
      // rclnodejs's TimeSource declares use_sim_time on every node.
      this.declareParameters([new Parameter('use_sim_time', ParameterType.PARAMETER_BOOL!, false)]);
    }

    name() {
      return this.nodeName;
    }
    getFullyQualifiedName() {
      return `${this.ns}/${this.nodeName}`;
    }
    getLogger() {
      return this.logger;
    }
    now() {
      return { nanoseconds: graph.now() };
    }
    resolveTopicName(topic: string): string {
      const expanded = topic.startsWith('/')
        ? topic
        : topic.startsWith('~/')
          ? `${this.getFullyQualifiedName()}/${topic.slice(2)}`
          : `${this.ns}/${topic}`;
      return graph.options.remap?.[expanded] ?? expanded;
    }
    getParameterDescriptor(name: string) {
      const d = this.descriptors.get(name);
      if (!d) throw new Error(`no descriptor for ${name}`);
      return d;
    }
    resolveServiceName(service: string): string {
      return this.resolveTopicName(service);
    }
    getParameterOverrides() {
      return [...this.overrides];
    }
    hasParameter(name: string) {
      return this.parameters.has(name);
    }
    getParameter(name: string) {
      return this.parameters.get(name) ?? new Parameter(name, ParameterType.PARAMETER_NOT_SET!);
    }
    addOnSetParametersCallback(callback: (p: RosParameter[]) => { successful: boolean; reason: string }) {
      this.callbacks.unshift(callback);
    }
    declareParameters(parameters: RosParameter[], descriptors: RosParameterDescriptor[] = []) {
      const declared = parameters.map((p, i) => {
        if (this.parameters.has(p.name)) throw new Error(`Parameter(${p.name}) already declared.`);
        const parameter = this.overrides.find((o) => o.name === p.name) ?? p;
        const descriptor = descriptors[i] ?? ParameterDescriptor.fromParameter(parameter);
        descriptor.validate();
        this.descriptors.set(descriptor.name, descriptor);
        return parameter;
      });
      const result = this.setAtomically(declared, true);
      if (!result.successful) {
        for (const p of declared) this.descriptors.delete(p.name);
        throw new Error(result.reason);
      }
      return declared.map((p) => this.getParameter(p.name));
    }
    /** `ros2 param set`: one result per parameter. */
    setParameters(parameters: RosParameter[]) {
      return parameters.map((p) => this.setAtomically([p], false));
    }
    private setAtomically(parameters: RosParameter[], declaring: boolean) {
      for (const p of parameters) {
        try {
          p.validate();
        } catch {
          return { successful: false, reason: `Invalid ${p.name}` };
        }
        const descriptor = this.descriptors.get(p.name);
        if (!descriptor) return { successful: false, reason: `Parameter ${p.name} has not been declared` };
        if (!declaring && descriptor.readOnly)
          return { successful: false, reason: `Parameter ${p.name} is readonly` };
        try {
          descriptor.validateParameter(p);
        } catch (error) {
          return { successful: false, reason: (error as Error).message };
        }
      }
      for (const callback of this.callbacks) {
        const result = callback(parameters);
        if (!result.successful) return result;
      }
      for (const p of parameters) this.parameters.set(p.name, p);
      return { successful: true, reason: '' };
    }
    createPublisher(type: string, topic: string, options: { qos?: unknown } = {}) {
      const publisher: FakePublisher = {
        type,
        topic: this.resolveTopicName(topic),
        qos: options.qos,
        messages: [],
      };
      graph.publishers.push(publisher);
      const fields = fieldNames(type);
      return {
        topic: publisher.topic,
        publish: (message: object) => {
          if (this.destroyed) throw new Error(`publish on ${publisher.topic} after the node was destroyed`);
          checkFields(`a ${type} message`, fields, message);
          new MessageWriter(knownType(type).definitions).writeMessage(message);
          publisher.messages.push(message);
          graph.options.onPublish?.(publisher.topic, message);
        },
      };
    }
    createSubscription(
      type: string,
      topic: string,
      optionsOrCallback: { qos?: unknown; isRaw?: boolean } | ((m: unknown) => void),
      maybeCallback?: (m: unknown) => void,
    ) {
      const [options, callback] =
        typeof optionsOrCallback === 'function'
          ? [{}, optionsOrCallback]
          : [optionsOrCallback, maybeCallback!];
      const subscription: FakeSubscription = {
        type,
        topic: this.resolveTopicName(topic),
        qos: options.qos,
        isRaw: options.isRaw === true,
        callback,
      };
      graph.subscriptions.push(subscription);
      return { topic: subscription.topic, isRaw: subscription.isRaw };
    }
    createService(
      type: string,
      name: string,
      optionsOrCallback: object | ServiceCallback,
      maybeCallback?: ServiceCallback,
    ) {
      const callback = maybeCallback ?? (optionsOrCallback as ServiceCallback);
      const resolved = this.resolveTopicName(name);
      graph.services.set(resolved, { type, callback });
      return { serviceName: resolved };
    }
    createTimer(period: bigint, callback: () => void) {
      const interval = graph.options.realTimers
        ? setInterval(callback, Number(period / 1_000_000n))
        : undefined;
      const timer: FakeTimer = {
        period,
        callback,
        canceled: false,
        cancel() {
          timer.canceled = true;
          clearInterval(interval);
        },
        isCanceled() {
          return timer.canceled;
        },
      };
      graph.timers.push(timer);
      return timer;
    }
    spin() {
      this.spinning = true;
    }
    destroy() {
      this.destroyed = true;
      for (const t of graph.timers) t.cancel();
    }
  }
  const rcl = {
    init: () => {
      graph.calls.push('init');
      return Promise.resolve();
    },
    removeSignalHandlers: () => graph.calls.push('removeSignalHandlers'),
    shutdown: () => graph.calls.push('shutdown'),
    Node: FakeNode,
    Parameter,
    ParameterDescriptor,
    ParameterType,
    FloatingPointRange,
    IntegerRange,
    QoS,
  };
  return rcl as unknown as Rclnodejs;
}
