// The QoS each of grape_policy's topics uses, and why.
import type { QoS } from 'rclnodejs';

import type { Rclnodejs } from './rclnodejs-loader.js';

/**
 * Camera, joint states and pose: the sensor-data profile (best effort, keep last 5, volatile). A
 * best-effort subscription matches reliable and best-effort publishers alike, and never holds a
 * publisher back to retransmit a frame the policy no longer wants.
 */
export function sensorQos(rcl: Rclnodejs): QoS.ProfileRef {
  return rcl.QoS.profileSensorData;
}

/**
 * Actions: reliable (what MoveIt Servo and most bridges subscribe with; a reliable publisher also
 * matches best-effort subscribers), keep last 1: a command that could not go out is stale by the
 * next one, and is never queued behind it.
 */
export function commandQos(rcl: Rclnodejs): QoS {
  const { HistoryPolicy, ReliabilityPolicy, DurabilityPolicy } = rcl.QoS;
  return new rcl.QoS(
    HistoryPolicy.RMW_QOS_POLICY_HISTORY_KEEP_LAST,
    1,
    ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_RELIABLE,
    DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_VOLATILE,
  );
}

/** Status and diagnostics: the default profile (reliable, keep last 10), as rqt and ros2 topic echo expect. */
export function statusQos(rcl: Rclnodejs): QoS.ProfileRef {
  return rcl.QoS.profileDefault;
}
