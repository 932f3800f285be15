// rclnodejs's pure-JavaScript parameter and QoS classes, imported from its lib/ (they need no ROS 2):
// the fake rclnodejs of the ROS adapter tests uses the real ones. Typed from rclnodejs's own typings.
declare module 'rclnodejs/lib/parameter.js' {
  import type * as rcl from 'rclnodejs';

  export const Parameter: typeof rcl.Parameter;
  export const ParameterDescriptor: typeof rcl.ParameterDescriptor;
  export const FloatingPointRange: typeof rcl.FloatingPointRange;
  export const IntegerRange: typeof rcl.IntegerRange;
  export const ParameterType: Record<string, rcl.ParameterType>;
  export function parameterTypeFromValue(value: unknown): rcl.ParameterType;
}

declare module 'rclnodejs/lib/qos.js' {
  import type * as rcl from 'rclnodejs';

  const QoS: typeof rcl.QoS;
  export default QoS;
}
