// The node core's transport on ROS 2: actions go out through the ActionPublisher, every status on
// ~/status. When an episode ends the robot is held (the core stops stepping, so the last command
// would otherwise be the last motion), and the console says why whenever the reason for holding changes.
import type { Publisher } from 'rclnodejs';

import type { ActionCommand, NodeStatus, NodeTransport } from '../node/node-interfaces.js';
import type { ActionPublisher } from './action-publisher.js';
import { episodeStatusMessage } from './status-messages.js';

interface TransportLogger {
  info(message: string): void;
  warn(message: string): void;
}

export class RosTransport implements NodeTransport {
  private last: NodeStatus | undefined;

  constructor(
    private readonly actions: ActionPublisher,
    private readonly status: Publisher<string>,
    private readonly logger: TransportLogger,
  ) {}

  publishAction(command: ActionCommand): void {
    this.actions.publish(command);
  }

  publishStatus(status: NodeStatus): void {
    const previous = this.last;
    const was = previous?.state ?? 'idle';
    this.last = status;
    this.status.publish(episodeStatusMessage(status));
    if (status.state === 'idle' && was !== 'idle') {
      if (!status.dryRun) this.actions.hold(status.stamp);
      this.logger.info(status.message);
    } else if (was === 'idle' && status.state !== 'idle') {
      this.logger.info(`${status.message}${status.dryRun ? ' (dry run: no action is published)' : ''}`);
    }
    if (status.state === 'holding' && (previous?.state !== 'holding' || previous.message !== status.message))
      this.logger.warn(`holding the robot: ${status.message}`);
  }
}
