"""The controller's side of a cart-pole rig, without ROS: what stands between the sensors, the
learner and the motor. Used by ros/control_loop.py and by offline runs (experiments/) alike, so
that an offline result holds in the controller node.

It builds on snn/ (the agent) and envs/ (the plant's model, for prediction) and imports nothing
from ros/, experiments/ or apps/. One job per module.
"""
