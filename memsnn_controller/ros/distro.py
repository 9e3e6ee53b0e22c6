"""Which ROS 2 distribution's rclpy this process runs on (recorded in run folders, checked by
the tests that run on each supported distribution).

From pip wheels the version of rclpy's distribution tells (its major version is the release's:
Jazzy 7, Kilted 9); a ROS 2 installation's rclpy carries no wheel metadata, and its setup script
sets ROS_DISTRO instead. Importing this module does not import rclpy.
"""

from importlib import metadata
import os

# Tested distributions (docs/ros.md, section 1); Humble has no wheels for Python 3.11.
SUPPORTED = ('jazzy', 'kilted')
# rclpy's major version in each release (rclpy's package.xml on its branch of ros2/rclpy).
RCLPY_MAJOR = {3: 'humble', 7: 'jazzy', 9: 'kilted'}
UNKNOWN = 'unknown'


def ros_distribution() -> str:
    """'jazzy', 'kilted', another release's name, or 'unknown'."""
    try:
        version = metadata.version('ros-rclpy')
    except metadata.PackageNotFoundError:
        return os.environ.get('ROS_DISTRO', '').strip().lower() or UNKNOWN
    try:
        major = int(version.split('.', 1)[0])
    except ValueError:
        return UNKNOWN
    return RCLPY_MAJOR.get(major, f'rclpy {version}')
