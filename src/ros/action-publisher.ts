// Publishes the node core's actions as the configured output type (see action-messages.ts), and the
// hold action of that type when the node stops driving the robot (episode end, shutdown).
import type { Node, Publisher } from 'rclnodejs';

import type { Time } from '../messages/ros-messages.js';
import type { ActionCommand } from '../node/node-interfaces.js';
import {
  actionMessageOf,
  actionTypeProblem,
  gripperOf,
  holdCommand,
  isEeDeltaAction,
  multiArrayOf,
  twistOf,
  type ActionLayout,
} from './action-messages.js';
import type { ActionType } from './parameter-spec.js';
import { commandQos } from './qos-profiles.js';
import type { Rclnodejs } from './rclnodejs-loader.js';

export interface ActionPublisherOptions extends ActionLayout {
  type: ActionType;
  topic: string;
  /** The gripper command topic beside TwistStamped actions; empty: none. */
  gripperTopic: string;
  policyId: string;
}

type AnyPublisher = Publisher<string>;

export class ActionPublisher {
  /** Checkpoint id stamped on grape/msg/Action messages (changes when a policy is reloaded). */
  policyId: string;
  private gripper: number | undefined;
  private readonly eeDelta: boolean;

  private constructor(
    private readonly options: ActionPublisherOptions,
    private readonly action: AnyPublisher,
    private readonly gripperCommand: AnyPublisher | undefined,
  ) {
    this.policyId = options.policyId;
    this.eeDelta = isEeDeltaAction(options.names);
  }

  static create(rcl: Rclnodejs, node: Node, options: ActionPublisherOptions): ActionPublisher {
    const problem = actionTypeProblem(options.type, options.names);
    if (problem) throw new Error(problem);
    const qos = commandQos(rcl);
    const action = node.createPublisher(options.type, options.topic, { qos });
    const gripper =
      options.type === 'geometry_msgs/msg/TwistStamped' && options.gripperTopic !== ''
        ? node.createPublisher('std_msgs/msg/Float64', options.gripperTopic, { qos })
        : undefined;
    return new ActionPublisher(options, action, gripper);
  }

  publish(command: ActionCommand): void {
    if (this.eeDelta && !command.hold) this.gripper = command.action[6];
    switch (this.options.type) {
      case 'geometry_msgs/msg/TwistStamped': {
        this.action.publish(twistOf(command, this.options));
        const gripper = gripperOf(command);
        if (gripper) this.gripperCommand?.publish(gripper);
        break;
      }
      case 'std_msgs/msg/Float64MultiArray':
        this.action.publish(multiArrayOf(command));
        break;
      case 'grape/msg/Action':
        this.action.publish(actionMessageOf(command, this.options, this.policyId));
        break;
    }
  }

  /** Publishes this output type's hold action. */
  hold(stamp: Time): void {
    this.publish(holdCommand(stamp, this.options.names.length, this.eeDelta ? this.gripper : undefined));
  }
}
