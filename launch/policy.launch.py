"""Start grape's policy node: `ros2 launch grape policy.launch.py model:=/path/to/model task_id:=lift`.

Every node parameter is a launch argument with the node's own default (`ros2 launch grape
policy.launch.py --show-args` lists them). dry_run defaults to true: the node computes and records
every step and publishes nothing until a technician sets dry_run:=false.

Beside the parameters:
  params_file:=/path/params.yaml   parameters from a file (applied after the arguments, so it wins)
  namespace:=arm                   run the node in a namespace
  remappings:="/a:=/b /c:=/d"      ROS remapping rules, e.g. for /diagnostics or /clock
  log_level:=debug                 the node's log level
"""

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, OpaqueFunction
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node

# The node's parameters: name, default (as an argument string), type, description. The same set with
# the same defaults as src/ros/parameter-spec.ts (test/ros-launch.test.ts holds them together).
PARAMETERS = [
    ("model", "", str, "model package directory; empty: the default model in data_dir"),
    ("checkpoint", "", str, "adapter id under the model's adapters/; empty: the promoted one"),
    ("instruction", "", str, "language instruction of episodes started without one"),
    ("task_id", "", str, "task id recorded with episodes started without one"),
    ("operator", "", str, "who runs the trials"),
    ("camera_topic", "/camera/image_raw", str, "camera topic"),
    ("camera_type", "Image", str, "Image or CompressedImage"),
    ("joint_states_topic", "/joint_states", str, "sensor_msgs/msg/JointState topic"),
    ("ee_pose_topic", "", str, "geometry_msgs/msg/PoseStamped end-effector pose topic; empty: none"),
    ("action_topic", "/servo_node/delta_twist_cmds", str, "where actions are published"),
    (
        "action_type",
        "geometry_msgs/msg/TwistStamped",
        str,
        "geometry_msgs/msg/TwistStamped, std_msgs/msg/Float64MultiArray or grape/msg/Action",
    ),
    ("action_frame", "base_link", str, "frame_id of published actions (the robot base)"),
    ("gripper_topic", "/grape/gripper_command", str, "std_msgs/msg/Float64 gripper command; empty: none"),
    ("rate_hz", "10.0", float, "control rate, Hz"),
    ("device", "auto", str, "auto, cpu, cuda or cuda:N"),
    ("data_dir", "", str, "where episodes are recorded; empty: $GRAPE_DATA_DIR, else ~/.grape"),
    ("dry_run", "true", bool, "compute and record every step, publish no action"),
    ("objective", "task", str, "task, safety or efficiency"),
    ("auto_promote", "false", bool, "end_session's job promotes its candidate; the node loads it"),
    ("stale_timeout", "0.5", float, "s without camera or joints before the robot is held"),
    ("max_steps", "0", int, "steps before an episode ends as a timeout; 0: never"),
    ("max_translation", "0.05", float, "largest end-effector move per step and axis, m"),
    ("max_rotation", "0.3", float, "largest end-effector rotation per step and axis, rad"),
    ("workspace_min", "", list, "lower corner [x, y, z] of the end effector's box; empty: none"),
    ("workspace_max", "", list, "upper corner [x, y, z] of that box"),
    ("greedy", "false", bool, "take the most likely action (evaluation) instead of sampling"),
    ("temperature", "1.0", float, "sampling temperature"),
    ("top_k", "0", int, "sample among the k most likely bins; 0: all"),
    ("record_features", "true", bool, "record each step's encoder features (the training cache)"),
    ("raw_subscriptions", "true", bool, "record camera and joint messages byte for byte as received"),
    ("use_sim_time", "false", bool, "take time from /clock"),
]

LAUNCH_ONLY = [
    ("params_file", "", "YAML parameters file, applied after the arguments"),
    ("namespace", "", "namespace of the node"),
    ("remappings", "", "remapping rules 'from:=to', separated by spaces or commas"),
    ("log_level", "info", "debug, info, warn, error or fatal"),
]


def parse_value(name, text, kind):
    """A launch argument string as the parameter's type, or an error that names the argument."""
    try:
        if kind is bool:
            if text.lower() not in ("true", "false"):
                raise ValueError("not true or false")
            return text.lower() == "true"
        if kind is list:
            inner = text.strip().strip("[]")
            return [float(v) for v in inner.replace(",", " ").split()]
        return kind(text)
    except ValueError as error:
        raise ValueError(f"launch argument {name}:={text!r} is not a {kind.__name__}: {error}") from None


def parse_remappings(text):
    rules = []
    for rule in text.replace(",", " ").split():
        source, separator, target = rule.partition(":=")
        if not separator or not source or not target:
            raise ValueError(f"remapping {rule!r} is not of the form from:=to")
        rules.append((source, target))
    return rules


def start_node(context):
    def argument(name):
        return LaunchConfiguration(name).perform(context)

    parameters = {}
    for name, _, kind, _ in PARAMETERS:
        value = parse_value(name, argument(name), kind)
        # An empty list has no ROS parameter type: leave it to the node's default (no box).
        if value != []:
            parameters[name] = value
    params_file = argument("params_file")
    return [
        Node(
            package="grape",
            executable="policy_node",
            name="grape_policy",
            namespace=argument("namespace"),
            output="screen",
            emulate_tty=True,
            parameters=[parameters] + ([params_file] if params_file else []),
            remappings=parse_remappings(argument("remappings")),
            arguments=["--ros-args", "--log-level", argument("log_level")],
        )
    ]


def generate_launch_description():
    arguments = [
        DeclareLaunchArgument(name, default_value=default, description=description)
        for name, default, _, description in PARAMETERS
    ] + [
        DeclareLaunchArgument(name, default_value=default, description=description)
        for name, default, description in LAUNCH_ONLY
    ]
    return LaunchDescription(arguments + [OpaqueFunction(function=start_node)])
