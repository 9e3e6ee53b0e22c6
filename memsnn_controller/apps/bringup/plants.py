"""memsnn-bringup's --plant-change: the simulator's plant parameters set over ROS by episode.

The schedule is memsnn-train's (envs/plant.py: ``EPISODE:FIELD=VALUE[,...]``, factors ``xF`` of
the simulator's starting values). The bringup's own node sets the changed fields on
``/cartpole_sim`` with a parameter set call (rcl_interfaces/SetParameters, as ``ros2 param set``
would) as soon as it hears that episode EPISODE - 1 has ended, so in lockstep the change lands
within the first few steps of episode EPISODE (the simulator does not wait for it); the
simulator applies it from its next step (docs/ros.md, section 2.1). A resumed run first sets the
plant of the episode it resumes at. A set waits until the simulator's parameter service is
discovered (a request sent before that could be lost when the nodes run in their own processes).
"""

import math

from memsnn_controller.apps.bringup import SIM_NODE, BringupError
from memsnn_controller.envs.plant import PlantChangeError, parse_plant_schedule
from memsnn_controller.ros import sim_config


def schedule_of(texts, sim):
    """(schedule, original plant) for the simulator's parameters ``sim``; BringupError names a
    bad change."""
    try:
        schedule = parse_plant_schedule(texts)
        original = sim_config.plant_of(sim)
        schedule.check(original)
    except PlantChangeError as exc:
        raise BringupError(str(exc)) from None
    return schedule, original


class PlantChanger:
    """Sets the schedule's plant on the simulator when its episode comes (see the module
    docstring). ``update(episodes)`` with the episodes finished so far sends what is due;
    ``check()`` logs the answers."""

    def __init__(self, node, schedule, original, start, log):
        from rclpy.parameter_client import AsyncParameterClient

        self.client = AsyncParameterClient(node, f'/{SIM_NODE}')
        self.schedule = schedule
        self.original = original
        self.log = log
        self.current = original
        self.pending = []       # (episode, text, future) sent, not answered yet
        self.waiting = []       # (episode, text, parameters) not sent yet: no service yet
        self.sent = []          # (episode, fields) of every set sent, in order
        self._next = [c.episode for c in schedule.changes if c.episode > start]
        if schedule.plant_at(start, original) != original:
            self._send(start, schedule.plant_at(start, original))

    def update(self, episodes):
        """Send the changes due once ``episodes`` episodes have finished."""
        while self._next and episodes >= self._next[0]:
            episode = self._next.pop(0)
            self._send(episode, self.schedule.plant_at(episode, self.original))
        self.check()

    def _send(self, episode, plant):
        from rclpy.parameter import Parameter

        changed = plant.differences(self.current)
        self.current = plant
        if not changed:
            return
        values = plant.values()
        if values['track_limit'] == math.inf:
            values['track_limit'] = 0.0   # the parameter's "none"
        parameters = [Parameter(name, value=values[name]) for name in changed]
        text = ', '.join(f'{name}={values[name]}' for name in changed)
        self.waiting.append((episode, text, parameters))
        self.sent.append((episode, {name: values[name] for name in changed}))
        self._flush()

    @property
    def busy(self):
        """Whether a set is still waiting for the service or for its answer."""
        return bool(self.waiting or self.pending)

    def _flush(self):
        if self.waiting and self.client.services_are_ready():
            for episode, text, parameters in self.waiting:
                self.pending.append((episode, text, self.client.set_parameters(parameters)))
            self.waiting = []

    def check(self):
        """Log the answers that came: the plant set, or why it was refused (the run goes
        on)."""
        self._flush()
        still = []
        for episode, text, future in self.pending:
            if not future.done():
                still.append((episode, text, future))
                continue
            response = future.result()
            refused = [r.reason for r in (response.results if response else []) if
                       not r.successful]
            if response is None or refused:
                self.log(f'episode {episode}: /{SIM_NODE} refused the plant change {text}: '
                         f'{"; ".join(refused) or "no answer"}')
            else:
                self.log(f'episode {episode}: plant of /{SIM_NODE} set: {text}')
        self.pending = still
