"""The learner sized by the task and by time, not by CartPole-v1's numbers or 50 Hz.

    config = sized_for(AgentConfig(), x_threshold=0.3, theta_threshold=0.2094,
                       control_period=0.02, delay=0.02)

What follows from the task's failure bounds (task.x_threshold, task.theta_threshold) is scaled
by the ratio of the new bound to the one the configuration was sized for, so a configuration
sized for CartPole-v1 (the defaults) and sized again for a 0.3 m track gets x edges at +-0.1 m
where CartPole-v1's are at +-0.8 m, and sizing twice for the same task changes nothing:

    x:         encoder.box_edges[x], encoder.ranges[x]          x x_threshold ratio
    x_dot:     encoder.box_edges[x_dot], encoder.ranges[x_dot]  x x_threshold ratio
    theta:     encoder.box_edges[theta], encoder.ranges[theta]  x theta_threshold ratio
    theta_dot: encoder.box_edges[theta_dot], ranges[theta_dot]  x theta_threshold ratio

A cart whose speed is limited (``top_speed``, m/s: a DC motor's no-load speed, envs/rig.py's
top_speed) gets x_dot edges that resolve its speed instead: top_speed x (-0.6, -0.3, -0.1, 0.1,
0.3, 0.6), seven bins, and the x_dot range +-top_speed. On a voltage-driven cart x_dot sets the
force (k_force V - k_emf x_dot), and edges scaled from a short track's x_threshold (+-0.06 m/s on
the preset rig) cannot tell a cart at rest from one at full speed: the preset rig learned 0/10
with them, 9/10 with these (docs/results.md, section 8).

The shaped rewards read the bounds from task itself (snn/rewards.py). ``control_period`` and
``delay`` are set as given (the delay the controller compensates: task.delay).
"""

from dataclasses import replace

from memsnn_controller.snn.config.agent import AgentConfig


def _scaled(values: tuple[float, ...], factor: float) -> tuple[float, ...]:
    return tuple(v * factor for v in values)


# x_dot edges of a speed-limited cart, in units of its top speed.
SPEED_EDGES = (-0.6, -0.3, -0.1, 0.1, 0.3, 0.6)


def sized_for(config: AgentConfig, x_threshold: float | None = None,
              theta_threshold: float | None = None, control_period: float | None = None,
              delay: float | None = None, top_speed: float | None = None) -> AgentConfig:
    """``config`` sized for a task (module docstring); None keeps a value as it is (and an
    infinite ``top_speed`` is no speed limit)."""
    task = config.task
    x_ratio = 1.0 if x_threshold is None else x_threshold / task.x_threshold
    theta_ratio = 1.0 if theta_threshold is None else theta_threshold / task.theta_threshold
    encoder = config.encoder
    if x_ratio != 1.0 or theta_ratio != 1.0:
        factors = (x_ratio, x_ratio, theta_ratio, theta_ratio)
        encoder = replace(
            encoder,
            box_edges=tuple(_scaled(edges, f) for edges, f in zip(encoder.box_edges, factors)),
            ranges=tuple((r[0] * f, r[1] * f) for r, f in zip(encoder.ranges, factors)))
    if top_speed is not None and top_speed != float('inf'):
        edges = list(encoder.box_edges)
        edges[1] = tuple(top_speed * f for f in SPEED_EDGES)
        ranges = list(encoder.ranges)
        ranges[1] = (-top_speed, top_speed)
        encoder = replace(encoder, box_edges=tuple(edges), ranges=tuple(ranges))
    task = replace(task,
                   x_threshold=task.x_threshold if x_threshold is None else x_threshold,
                   theta_threshold=(task.theta_threshold if theta_threshold is None
                                    else theta_threshold),
                   delay=task.delay if delay is None else delay)
    return replace(config, encoder=encoder, task=task,
                   control_period=(config.control_period if control_period is None
                                   else control_period))
