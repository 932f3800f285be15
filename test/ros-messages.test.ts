// The ROS adapter's messages: actions per output type (and hold in each), status and diagnostics,
// each round-tripped through CDR with the interface definitions (msg/ and the common ROS 2 ones), so
// a field that is misnamed or mistyped against its .msg fails here.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { MessageReader, MessageWriter } from '@foxglove/rosmsg2-serialization';

import { knownType } from '../src/bag/message-definitions.js';
import { EE_DELTA_NAMES } from '../src/node/action-limits.js';
import type { ActionCommand, NodeStatus } from '../src/node/node-interfaces.js';
import { ActionPublisher } from '../src/ros/action-publisher.js';
import {
  actionMessageOf,
  actionTypeProblem,
  gripperOf,
  holdCommand,
  multiArrayOf,
  twistOf,
} from '../src/ros/action-messages.js';
import type { ActionType } from '../src/ros/parameter-spec.js';
import { DiagnosticLevel, diagnosticsOf, episodeStatusMessage } from '../src/ros/status-messages.js';
import { FakeRosGraph } from './helpers/fake-rclnodejs.js';

const STAMP = { sec: 1_764_000_000, nanosec: 250_000_000 };
const LAYOUT = { names: EE_DELTA_NAMES, rateHz: 10, frame: 'panda_link0' };

function command(action: number[], hold = false): ActionCommand {
  return { stamp: STAMP, action: Float64Array.from(action), hold };
}

/** `message` written as `type` in CDR and read back. */
function roundTrip(type: string, message: object): unknown {
  const { definitions } = knownType(type);
  return new MessageReader(definitions).readMessage(new MessageWriter(definitions).writeMessage(message));
}

function plain(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (_, v: unknown) => (ArrayBuffer.isView(v) ? Array.from(v as Float64Array) : v)),
  );
}

function assertRoundTrips(type: string, message: object): void {
  assert.deepEqual(plain(roundTrip(type, message)), plain(message), type);
}

function status(overrides: Partial<NodeStatus> = {}): NodeStatus {
  return {
    stamp: STAMP,
    state: 'running',
    episodeId: 'ep-1',
    taskId: 'lift',
    instruction: 'lift the red cube',
    policyId: 'grape-default@1/base',
    step: 12,
    dryRun: false,
    staleInputs: [],
    droppedFrames: 3,
    overruns: 0,
    clamped: [],
    intervening: false,
    message: 'step 12',
    ...overrides,
  };
}

describe('action messages', () => {
  it('TwistStamped: per-step deltas as velocities in the action frame, the gripper beside it', () => {
    const c = command([0.01, -0.02, 0.005, 0.1, 0, -0.05, 1]);
    const twist = twistOf(c, LAYOUT);
    assert.deepEqual(twist.header, { stamp: STAMP, frame_id: 'panda_link0' });
    const { linear, angular } = twist.twist;
    assert.deepEqual(
      [linear.x, linear.y, linear.z, angular.x, angular.y, angular.z].map((v) => +v.toFixed(12)),
      [0.1, -0.2, 0.05, 1, 0, -0.5],
    );
    assert.deepEqual(gripperOf(c), { data: 1 });
    assertRoundTrips('geometry_msgs/msg/TwistStamped', twist);
    assertRoundTrips('std_msgs/msg/Float64', gripperOf(c)!);
  });

  it('TwistStamped hold: the zero twist and no gripper command', () => {
    const c = command([0, 0, 0, 0, 0, 0, 1], true);
    const { linear, angular } = twistOf(c, LAYOUT).twist;
    assert.deepEqual(
      [linear, angular],
      [
        { x: 0, y: 0, z: 0 },
        { x: 0, y: 0, z: 0 },
      ],
    );
    assert.equal(gripperOf(c), undefined);
    // A hold is zero whatever the vector says.
    assert.deepEqual(twistOf(command([0.3, 0.3, 0.3, 1, 1, 1, 0], true), LAYOUT).twist.linear, {
      x: 0,
      y: 0,
      z: 0,
    });
  });

  it('Float64MultiArray and grape/msg/Action carry the vector as it is', () => {
    const c = command([0.01, 0, 0, 0, 0, 0.2, 0]);
    const array = multiArrayOf(c);
    assert.deepEqual(array.layout, { dim: [{ label: 'action', size: 7, stride: 7 }], data_offset: 0 });
    assert.deepEqual(Array.from(array.data), [0.01, 0, 0, 0, 0, 0.2, 0]);
    assertRoundTrips('std_msgs/msg/Float64MultiArray', array);
    const action = actionMessageOf(command([0, 0, 0, 0, 0, 0, 1], true), LAYOUT, 'grape-default@1/base');
    assert.deepEqual(plain(action), {
      header: { stamp: STAMP, frame_id: 'panda_link0' },
      names: [...EE_DELTA_NAMES],
      values: [0, 0, 0, 0, 0, 0, 1],
      hold: true,
      policy_id: 'grape-default@1/base',
    });
    assertRoundTrips('grape/msg/Action', action);
  });

  it('the hold action outside a step: zero deltas, gripper as last commanded', () => {
    assert.deepEqual(Array.from(holdCommand(STAMP, 7, 1).action), [0, 0, 0, 0, 0, 0, 1]);
    assert.deepEqual(Array.from(holdCommand(STAMP, 3, undefined).action), [0, 0, 0]);
    assert.equal(holdCommand(STAMP, 7, 0).hold, true);
  });

  it('refuses TwistStamped for a model whose action is not the end-effector delta space', () => {
    assert.match(
      actionTypeProblem('geometry_msgs/msg/TwistStamped', ['j1', 'j2']) ?? '',
      /^action_type geometry_msgs\/msg\/TwistStamped needs the end-effector delta action \(dx dy dz droll dpitch dyaw gripper\); this model's action is j1 j2: publish it as std_msgs\/msg\/Float64MultiArray or grape\/msg\/Action$/,
    );
    assert.equal(actionTypeProblem('std_msgs/msg/Float64MultiArray', ['j1', 'j2']), undefined);
    assert.equal(actionTypeProblem('geometry_msgs/msg/TwistStamped', EE_DELTA_NAMES), undefined);
  });
});

describe('ActionPublisher', () => {
  function publisherFor(type: ActionType, names: readonly string[] = EE_DELTA_NAMES) {
    const graph = new FakeRosGraph();
    const rcl = graph.rclnodejs();
    const node = new rcl.Node('grape_policy');
    const publisher = ActionPublisher.create(rcl, node, {
      ...LAYOUT,
      names,
      type,
      topic: '/servo_node/delta_twist_cmds',
      gripperTopic: '/gripper_command',
      policyId: 'p@1/base',
    });
    return { graph, publisher };
  }

  it('publishes twists and gripper commands reliably, keep last 1; hold keeps the gripper untouched', () => {
    const { graph, publisher } = publisherFor('geometry_msgs/msg/TwistStamped');
    const twists = graph.publisher('/servo_node/delta_twist_cmds');
    const gripper = graph.publisher('/gripper_command');
    assert.equal(twists.type, 'geometry_msgs/msg/TwistStamped');
    assert.equal(gripper.type, 'std_msgs/msg/Float64');
    for (const p of [twists, gripper]) {
      const qos = p.qos as { history: number; depth: number; reliability: number };
      assert.deepEqual([qos.history, qos.depth, qos.reliability], [1, 1, 1], 'keep last 1, reliable');
    }
    publisher.publish(command([0.01, 0, 0, 0, 0, 0, 1]));
    publisher.hold(STAMP);
    assert.equal(twists.messages.length, 2);
    assert.deepEqual(gripper.messages, [{ data: 1 }]);
    assert.deepEqual((twists.messages[1] as { twist: unknown }).twist, {
      linear: { x: 0, y: 0, z: 0 },
      angular: { x: 0, y: 0, z: 0 },
    });
  });

  it('holds a raw vector with zero deltas and the last gripper command', () => {
    const { graph, publisher } = publisherFor('std_msgs/msg/Float64MultiArray');
    assert.equal(graph.publishers.length, 1, 'no gripper topic beside a raw vector');
    publisher.hold(STAMP);
    publisher.publish(command([0.01, 0.02, 0, 0, 0, 0, 1]));
    publisher.hold(STAMP);
    const sent = graph.publisher('/servo_node/delta_twist_cmds').messages as { data: Float64Array }[];
    assert.deepEqual(
      sent.map((m) => Array.from(m.data)),
      [
        [0, 0, 0, 0, 0, 0, 0],
        [0.01, 0.02, 0, 0, 0, 0, 1],
        [0, 0, 0, 0, 0, 0, 1],
      ],
    );
  });

  it('stamps grape/msg/Action with the running policy', () => {
    const { graph, publisher } = publisherFor('grape/msg/Action', ['j1', 'j2', 'j3']);
    publisher.publish(command([0.1, 0.2, 0.3]));
    publisher.policyId = 'p@1/adapter-2';
    publisher.hold(STAMP);
    const sent = graph.publisher('/servo_node/delta_twist_cmds').messages as {
      policy_id: string;
      hold: boolean;
    }[];
    assert.deepEqual(
      sent.map((m) => [m.policy_id, m.hold]),
      [
        ['p@1/base', false],
        ['p@1/adapter-2', true],
      ],
    );
  });

  it('refuses TwistStamped for joint-space actions', () => {
    assert.throws(
      () => publisherFor('geometry_msgs/msg/TwistStamped', ['j1', 'j2']),
      /needs the end-effector delta action/,
    );
  });
});

describe('status messages', () => {
  it('EpisodeStatus carries the node status field for field', () => {
    // ASCII text: @foxglove/cdr 3.5.0 (the writer of this check, not rclnodejs) sizes strings in UTF-16 units.
    const s = status({
      staleInputs: ['camera'],
      clamped: ['dx 0.0800 -> 0.0500 (max step)'],
      state: 'holding',
    });
    const message = episodeStatusMessage(s);
    assert.deepEqual(plain(message), {
      header: { stamp: STAMP, frame_id: '' },
      state: 'holding',
      episode_id: 'ep-1',
      task_id: 'lift',
      instruction: 'lift the red cube',
      policy_id: 'grape-default@1/base',
      step: 12,
      dry_run: false,
      stale_inputs: ['camera'],
      dropped_frames: 3,
      overruns: 0,
      clamped: ['dx 0.0800 -> 0.0500 (max step)'],
      intervening: false,
      message: 'step 12',
    });
    assertRoundTrips('grape/msg/EpisodeStatus', message);
  });

  it('diagnostics: OK, WARN while holding or falling behind or clamping, ERROR when the recorder fails', () => {
    const context = { header: { stamp: STAMP, frame_id: '' }, nodeName: '/grape_policy' };
    const ok = diagnosticsOf(status(), context);
    assert.equal(ok.status[0]!.level, DiagnosticLevel.OK);
    assert.equal(ok.status[0]!.name, 'grape_policy: policy');
    assert.equal(ok.status[0]!.message, 'step 12');
    assert.deepEqual(ok.status[0]!.values.slice(0, 3), [
      { key: 'state', value: 'running' },
      { key: 'episode_id', value: 'ep-1' },
      { key: 'task_id', value: 'lift' },
    ]);
    assertRoundTrips('diagnostic_msgs/msg/DiagnosticArray', ok);

    const held = diagnosticsOf(
      status({
        state: 'holding',
        message: 'stale input: camera',
        overruns: 2,
        clamped: ['dz 0.1 → 0.05 (max step)'],
      }),
      context,
    ).status[0]!;
    assert.equal(held.level, DiagnosticLevel.WARN);
    assert.equal(
      held.message,
      'stale input: camera; 2 control ticks overran; clamped: dz 0.1 → 0.05 (max step)',
    );

    const failed = diagnosticsOf(status(), { ...context, recorderError: 'the disk is full' }).status[0]!;
    assert.deepEqual([failed.level, failed.message], [DiagnosticLevel.ERROR, 'the disk is full']);
  });
});
