"""The controller's side of a rig configured for a plant file: the learner sized for it
(``learner_for``), and the safety layer's and the episode supervisor's settings that follow from
the plant and its task, with the controller node's defaults for the rest
(ros/controller_config.py declares the same defaults as parameters), so an offline run and the
node on the same plant use the same settings.

From the plant file: the force limit (task.force_limit), the control period, the failure bounds
(task.x_threshold, task.theta_threshold), the command's unit ('voltage' for a DC motor, 'force'
otherwise) and the motor's constants (voltage_limit, k_force, k_emf: a calibrated rig). The
defaults below are the node's.
"""

from collections.abc import Collection
import math

from memsnn_controller.control.safety import SafetyConfig, SafetyLayer
from memsnn_controller.control.supervisor import Supervisor, SupervisorConfig
from memsnn_controller.envs import rig
from memsnn_controller.envs.plant_file import PlantFile
from memsnn_controller.snn.config import AgentConfig
from memsnn_controller.snn.config.sizing import sized_for

# The node's defaults (ros/controller_config.py reads them from here).
SOFT_LIMIT = math.inf        # m: no braking region inside the failure bounds
BRAKE_GAIN = 25.0            # N s/m: k T / m about 0.5 for a 1 kg cart at 50 Hz
MAX_FORCE_RATE = 1000.0      # N/s: a full reversal of 10 N within one 20 ms period
DEFAULT_SUPERVISOR = SupervisorConfig()


def learner_for(config: AgentConfig, plant_file: PlantFile, x_threshold: float | None = None,
                theta_threshold: float | None = None, control_period: float | None = None,
                delay: float | None = None, exclude: Collection[str] = ()) -> AgentConfig:
    """``config`` for ``plant_file``: its learner section (AgentConfig fields it needs beyond
    the sizing; those named in ``exclude`` left out: a node's parameters carry them) first, then
    sized (snn/config/sizing.py) for the task's failure bounds and control period (or the values
    given: a node's parameters), the plant's delay and, for a DC motor, the cart's top speed.
    ConfigError names a bad field of the learner section."""
    learner = plant_file.learner_overrides(exclude)
    if learner:
        config = config.with_overrides(learner)
    task = plant_file.task
    return sized_for(config,
                     x_threshold=task.x_threshold if x_threshold is None else x_threshold,
                     theta_threshold=(task.theta_threshold if theta_threshold is None
                                      else theta_threshold),
                     control_period=task.tau if control_period is None else control_period,
                     delay=plant_file.plant.delay if delay is None else delay,
                     top_speed=rig.top_speed(plant_file.plant))


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
