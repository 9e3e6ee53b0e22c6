"""memsnn_controller: a memristive spiking neural network that learns cart-pole online.

Layers (arrows point one way): ``snn`` (the learning core, numpy + numba) and ``envs`` (the plants)
know nothing of ROS or experiments; ``ros`` (thin node adapters) and ``experiments`` (offline
training and comparisons) build on them.
"""

__version__ = '0.1.0'
