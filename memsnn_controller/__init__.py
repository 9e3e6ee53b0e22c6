"""memsnn_controller: a memristive spiking neural network that learns cart-pole online.

Layers (arrows point one way): ``snn`` (the learning core, numpy + numba) and ``envs`` (the plants)
know nothing of ROS or experiments; ``ros`` (thin node adapters) and ``experiments`` (offline
training and comparisons) build on them and not on each other; ``apps`` (the console entry points
and the main job, memsnn-bringup) composes ros and experiments. ``common`` (validation, atomic
files, YAML numbers, stop signals, child processes) serves every layer and imports none.
"""

__version__ = '0.1.0'
