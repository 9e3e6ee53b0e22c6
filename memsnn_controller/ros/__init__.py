"""Thin ROS 2 adapters around the learning core and the plants: the two nodes, their parameters,
message conversions and QoS. Nothing here imports experiments/ or apps/ (the node processes'
entry points are apps/sim_node.py and apps/controller_node.py).

Importing this package does not import rclpy; the node modules do.
"""
