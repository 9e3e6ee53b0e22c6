"""The controller's side of a rig configured for a plant file: the safety layer's and the episode
supervisor's settings that follow from the plant and its task, with the controller node's
defaults for the rest (ros/controller_config.py declares the same defaults as parameters), so an
offline run and the node on the same plant use the same settings.

From the plant file: the force limit (task.force_limit), the control period, the failure bounds
(task.x_threshold, task.theta_threshold), the command's unit ('voltage' for a DC motor, 'force'
otherwise) and the motor's constants (voltage_limit, k_force, k_emf: a calibrated rig). The
defaults below are the node's.
"""

import math

from memsnn_controller.control.safety import SafetyConfig, SafetyLayer
from memsnn_controller.control.supervisor import Supervisor, SupervisorConfig
from memsnn_controller.envs.plant_file import PlantFile

# The node's defaults (ros/controller_config.py reads them from here).
SOFT_LIMIT = math.inf        # m: no braking region inside the failure bounds
BRAKE_GAIN = 25.0            # N s/m: k T / m about 0.5 for a 1 kg cart at 50 Hz
MAX_FORCE_RATE = 1000.0      # N/s: a full reversal of 10 N within one 20 ms period
DEFAULT_SUPERVISOR = SupervisorConfig()


def offline_safety(plant_file: PlantFile) -> SafetyLayer:
    """The safety layer for ``plant_file`` (module docstring)."""
    plant, task = plant_file.plant, plant_file.task
    return SafetyLayer(SafetyConfig(
        force_limit=task.force_mag, soft_limit=SOFT_LIMIT, brake_gain=BRAKE_GAIN,
        max_force_rate=MAX_FORCE_RATE, control_period=task.tau,
        command_unit='voltage' if plant.motor == 'dc' else 'force',
        voltage_limit=plant.voltage_limit, k_force=plant.k_force, k_emf=plant.k_emf))


def offline_supervisor(plant_file: PlantFile, safety: SafetyLayer) -> Supervisor:
    """The episode supervisor for ``plant_file`` (module docstring)."""
    task = plant_file.task
    config = SupervisorConfig(**{**DEFAULT_SUPERVISOR.__dict__,
                                 'x_threshold': task.x_threshold,
                                 'theta_threshold': task.theta_threshold})
    return Supervisor(config, safety)
