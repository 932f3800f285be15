"""Start the grape policy node: `ros2 launch grape policy.launch.py model:=/path/to/model`.

Every argument becomes a ROS parameter of node `grape_policy`; dry_run defaults to true
(compute and log, publish nothing) until a technician turns it off.
"""

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node
from launch_ros.parameter_descriptions import ParameterValue

# name, default, description, type (for ParameterValue)
ARGUMENTS = [
    ("model", "", "model package directory (policy.json, encoder.onnx, head.safetensors)", str),
    ("instruction", "", "language instruction for the task", str),
    ("task_id", "", "task identifier recorded with every episode", str),
    ("camera_topic", "/camera/image_raw", "camera topic", str),
    ("camera_type", "Image", "Image or CompressedImage", str),
    ("joint_states_topic", "/joint_states", "joint states topic", str),
    ("ee_pose_topic", "", "optional end-effector pose topic", str),
    ("action_topic", "/grape/action", "action output topic", str),
    ("action_type", "geometry_msgs/TwistStamped", "TwistStamped | std_msgs/Float64MultiArray | grape/msg/Action", str),
    ("gripper_topic", "/grape/gripper", "gripper command topic (TwistStamped output)", str),
    ("rate_hz", "10.0", "control rate", float),
    ("device", "auto", "auto | cpu | cuda | cuda:N", str),
    ("data_dir", "", "where episodes are recorded (default $GRAPE_DATA_DIR or ~/.grape)", str),
    ("dry_run", "true", "compute and log without publishing actions", bool),
    ("objective", "task", "alignment objective: task | safety | efficiency", str),
    ("stale_timeout", "0.5", "seconds without camera/joints before holding", float),
    ("use_sim_time", "false", "use /clock", bool),
]


def generate_launch_description():
    declared = [DeclareLaunchArgument(name, default_value=default, description=desc) for name, default, desc, _ in ARGUMENTS]
    parameters = {name: ParameterValue(LaunchConfiguration(name), value_type=kind) for name, _, _, kind in ARGUMENTS}
    node = Node(
        package="grape",
        executable="policy_node",
        name="grape_policy",
        output="screen",
        emulate_tty=True,
        parameters=[parameters],
        sigterm_timeout="5",
    )
    return LaunchDescription(declared + [node])
