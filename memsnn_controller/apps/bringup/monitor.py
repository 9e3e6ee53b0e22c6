"""What memsnn-bringup hears, as any ROS tool would: the controller's episode reports (by index)
on its ``~/episodes`` topic (reliable and transient-local: none is lost, even one published
before this listener was matched), and the status reports of both nodes on /diagnostics."""

import time
from typing import Any

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus

from memsnn_controller.apps.bringup import CONTROLLER_NODE, SIM_NODE
from memsnn_controller.ros import conversions, qos

EPISODES_TOPIC = f'/{CONTROLLER_NODE}/episodes'
SIM_EPISODES_TOPIC = f'/{SIM_NODE}/episodes'


class Monitor:
    """Subscribes ``node`` to the controller's episode reports and to /diagnostics.

    episodes: {index: the episode report's values, plus '_received' (monotonic seconds)};
    status / sim_status: the last status of the controller / simulator; loop_status: the
    controller's last status that measured latency; last_progress: when an episode last ended;
    sim_hits: the end-stop hits within the simulator's episodes so far (its episode reports).
    """

    def __init__(self, node):
        self.node = node
        self.episodes = {}
        self.status = {}
        self.loop_status = {}
        self.sim_status = {}
        self.last_progress = time.monotonic()
        self.sim_hits = 0
        node.create_subscription(DiagnosticStatus, EPISODES_TOPIC, self._on_episode,
                                 qos.EPISODES)
        node.create_subscription(DiagnosticStatus, SIM_EPISODES_TOPIC, self._on_sim_episode,
                                 qos.EPISODES)
        node.create_subscription(DiagnosticArray, '/diagnostics', self._on_diagnostics,
                                 qos.DIAGNOSTICS)

    def _on_episode(self, status):
        values: dict[str, Any] = conversions.diagnostic_values(status)
        values['_received'] = time.monotonic()
        self.episodes[int(values['index'])] = values
        self.last_progress = time.monotonic()

    def _on_sim_episode(self, status):
        self.sim_hits += int(conversions.diagnostic_values(status).get('end_stop_hits', 0))

    def _on_diagnostics(self, msg):
        for status in msg.status:
            if status.name == f'{CONTROLLER_NODE}: status':
                self.status = conversions.diagnostic_values(status)
                if int(self.status.get('latency_samples', 0)):
                    self.loop_status = self.status
            elif status.name == f'{SIM_NODE}: status':
                self.sim_status = conversions.diagnostic_values(status)
