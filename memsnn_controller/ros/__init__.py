"""Thin ROS 2 adapters around the learning core and the plants.

Importing this package does not import rclpy; the node modules do.
"""
