"""QoS profiles shared by this package's nodes, one per kind of traffic."""

from rclpy.qos import (
    DurabilityPolicy,
    HistoryPolicy,
    QoSProfile,
    ReliabilityPolicy,
    qos_profile_sensor_data,
)

# Published reliable so that both reliable and best-effort (sensor-data) subscribers match; a
# small depth, since only the newest state matters.
JOINT_STATES_PUB = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=5,
                              reliability=ReliabilityPolicy.RELIABLE,
                              durability=DurabilityPolicy.VOLATILE)

# How controllers subscribe to joint states: best effort, as for any sensor stream.
SENSOR_DATA = qos_profile_sensor_data

# Effort commands as ros2_control's forward command controller takes them: reliable, and only the
# newest command counts. Depth 2 so a command that arrives while the previous one is being taken
# is not dropped before it is seen.
COMMANDS = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=2,
                      reliability=ReliabilityPolicy.RELIABLE,
                      durability=DurabilityPolicy.VOLATILE)

# /clock as rclcpp's ClockQoS: best effort, keep last 1 (what rclpy's TimeSource subscribes with).
CLOCK = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=1,
                   reliability=ReliabilityPolicy.BEST_EFFORT,
                   durability=DurabilityPolicy.VOLATILE)

# /diagnostics: status reports at their period, reliable, as diagnostic_updater publishes them.
DIAGNOSTICS = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=10,
                         reliability=ReliabilityPolicy.RELIABLE,
                         durability=DurabilityPolicy.VOLATILE)

# ~/episodes (one diagnostic_msgs/DiagnosticStatus per finished episode): reliable, deep enough
# that a burst of short episodes in lockstep loses no report, and transient-local so that a
# listener that joins late (a monitor, memsnn-bringup) still gets the last EPISODE_HISTORY.
EPISODE_HISTORY = 1000
EPISODES = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=EPISODE_HISTORY,
                      reliability=ReliabilityPolicy.RELIABLE,
                      durability=DurabilityPolicy.TRANSIENT_LOCAL)
