"""The applications: the console entry points and the composition of the main job.

The only layer that composes ros/ (the nodes) and experiments/ (run folders, metrics, plots):
sim_node and controller_node (the node processes), bringup (simulator + controller + run
folder, split by job into bringup_*.py), train and compare (the offline commands), and cli (how
every command fails).
"""
