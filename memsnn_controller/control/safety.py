"""The safety layer: below the learner, never overridden by it. Every command the controller sends
passes through it, in every state of the episode supervisor (control/supervisor.py).

Per tick, for a requested cart force F_req (N) and the measured state (x, x_dot):

1. soft track limits: in the braking region |x| >= soft_limit, a request that would push the cart
   further toward the near end while it moves toward it (sign(F_req) = sign(x) = sign(x_dot)) is
   replaced by the brake (3.); pushing back toward the centre is allowed;
2. the force limit: |F| <= force_limit;
3. the brake, used after a failure and in the braking region: F = -brake_gain x_dot, clipped to
   the force limit (a velocity loop: with one control period T of delay and an effective mass m,
   the loop F = -k x_dot is stable for k T / m < 1; brake_gain's default 25 N s/m gives
   k T / m = 0.45 for CartPole-v1's 1.1 kg and 0.54 for the preset rig's 0.93 kg at 50 Hz, and
   stops a cart at 1 m/s within about 0.06 m on full force);
4. the slew limit: |F_k - F_(k-1)| <= max_force_rate T (N/s): no step in the command faster than
   the amplifier or the mechanics should see;
5. the command's unit: with ``command_unit`` 'voltage' the force becomes the voltage a DC motor
   needs for it at the cart's speed, V = (F + k_emf x_dot) / k_force (envs/rig.py's motor law
   inverted), clipped to +-voltage_limit; with 'force' it is sent as is.

``changed`` says whether the layer changed the learner's action: the soft limits replaced its
request by the brake, or the command does not push the way the request does (a slewed reversal
still on the old side, or a request of 0 answered with more than ``tolerance`` N). The
controller does not let the learner learn from such a transition (control/pipeline.py and
ros/control_loop.py say how), because the learner's eligibility records the direction it chose
(the action: push right or left), not the one the rig executed. A command the slew or force
limit only made weaker pushes the chosen way and is learned from: at 200 Hz a 1000 N/s slew
limit spreads a full reversal over four periods, and leaving all of them out of learning halves
the transitions the learner sees (docs/results.md section 9.2).
"""

from dataclasses import dataclass
import math
from typing import Literal, NamedTuple

from memsnn_controller.common import checks

CommandUnit = Literal['force', 'voltage']
COMMAND_UNITS = ('force', 'voltage')


@dataclass(frozen=True)
class SafetyConfig:
    """The safety layer's settings (module docstring); every field is checked (ValueError names
    it). Forces in N, positions in m, times in s."""

    force_limit: float = 10.0
    soft_limit: float = math.inf
    brake_gain: float = 25.0
    max_force_rate: float = math.inf
    control_period: float = 0.02
    command_unit: CommandUnit = 'force'
    voltage_limit: float = 10.0
    k_force: float = 1.0
    k_emf: float = 0.0
    tolerance: float = 1e-6

    def __post_init__(self) -> None:
        def require(name: str, *tests: checks.Check) -> None:
            checks.require(f'safety.{name}', getattr(self, name), *tests)

        require('force_limit', checks.above_zero(1e6, ' N'))
        checks.require_that(_positive_or_inf(self.soft_limit), 'safety.soft_limit',
                            'must be a number > 0 (m) or inf', self.soft_limit)
        require('brake_gain', checks.above_zero(1e6, ' N s/m'))
        checks.require_that(_positive_or_inf(self.max_force_rate), 'safety.max_force_rate',
                            'must be a number > 0 (N/s) or inf', self.max_force_rate)
        require('control_period', checks.in_range(0.001, 1.0, ' s'))
        require('command_unit', checks.one_of(*COMMAND_UNITS))
        require('voltage_limit', checks.above_zero(1000.0, ' V'))
        require('k_force', checks.above_zero(1000.0, ' N/V'))
        require('k_emf', checks.in_range(0.0, 1000.0, ' N s/m'))
        require('tolerance', checks.non_negative)


def _positive_or_inf(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and \
        (value == math.inf or (math.isfinite(value) and value > 0.0))


class SafeCommand(NamedTuple):
    """What the layer lets through: the force it stands for (N), the command to send (N or V,
    ``command_unit``), and whether it changed the request."""

    force: float
    command: float
    changed: bool


class SafetyLayer:
    """The safety layer (module docstring). ``filter`` for the learner's requests, ``brake`` and
    ``drive`` for the supervisor's own commands; all go through the same limits. ``reset``
    forgets the last command (the slew limit then starts from 0)."""

    def __init__(self, config: SafetyConfig | None = None) -> None:
        self.config = SafetyConfig() if config is None else config
        self.last_force = 0.0
        self.limited = 0        # actions changed (counted for the diagnostics)
        self.braked_ticks = 0   # ticks the soft limits braked
        self.largest_step = 0.0  # the largest |F_k - F_(k-1)| let through (N)

    def reset(self) -> None:
        self.last_force = 0.0

    def braking_force(self, x_dot: float) -> float:
        """-brake_gain x_dot within the force limit."""
        limit = self.config.force_limit
        force = -self.config.brake_gain * x_dot
        return limit if force > limit else (-limit if force < -limit else force)

    def filter(self, requested: float, x: float, x_dot: float) -> SafeCommand:
        """The command for the learner's ``requested`` force (N) at the state's x, x_dot."""
        cfg = self.config
        force = requested if math.isfinite(requested) else 0.0
        braked = abs(x) >= cfg.soft_limit and x * x_dot > 0.0 and force * x > 0.0
        if braked:
            force = self.braking_force(x_dot)
            self.braked_ticks += 1
        safe = self._out(force, x_dot)
        changed = braked or not math.isfinite(requested) or \
            not self._same_direction(requested, safe.force)
        if changed:
            self.limited += 1
        return safe._replace(changed=changed)

    def _same_direction(self, requested: float, executed: float) -> bool:
        """Whether ``executed`` pushes the way ``requested`` does (a request of 0: whether the
        command is within ``tolerance`` of 0)."""
        if requested > 0.0:
            return executed > 0.0
        if requested < 0.0:
            return executed < 0.0
        return abs(executed) <= self.config.tolerance

    def brake(self, x_dot: float) -> SafeCommand:
        """The brake's command (module docstring, 3.)."""
        return self._out(self.braking_force(x_dot), x_dot)

    def drive(self, force: float, x_dot: float) -> SafeCommand:
        """A command of the supervisor's own (homing), through the limits."""
        return self._out(force, x_dot)

    def hold(self) -> SafeCommand:
        """No force, through the slew limit (a sudden 0 from full force is a step too)."""
        return self._out(0.0, 0.0)

    def _out(self, force: float, x_dot: float) -> SafeCommand:
        cfg = self.config
        limit = cfg.force_limit
        force = limit if force > limit else (-limit if force < -limit else force)
        step = cfg.max_force_rate * cfg.control_period
        last = self.last_force
        if force > last + step:
            force = last + step
        elif force < last - step:
            force = last - step
        if abs(force - last) > self.largest_step:
            self.largest_step = abs(force - last)
        self.last_force = force
        if cfg.command_unit == 'voltage':
            volts = (force + cfg.k_emf * x_dot) / cfg.k_force
            v = cfg.voltage_limit
            volts = v if volts > v else (-v if volts < -v else volts)
            return SafeCommand(force, volts, False)
        return SafeCommand(force, force, False)
