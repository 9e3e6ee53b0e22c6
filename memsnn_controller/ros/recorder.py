"""Recording a node's traffic as a rosbag2 with MCAP storage, without a ROS installation.

    recorder = BagRecorder(node, 'run/rosbag', [Topic('joint_states', JointState, qos), ...])
    ...                        # every message heard on those topics is written
    recorder.close()           # writes the MCAP summary and metadata.yaml

The writer is the pure-Python ``rosbags`` library (the ``record`` extra), chosen because ROS 2's
own rosbag2 (rosbag2_py, ros2 bag) has no pip wheels, while rosbags writes rosbag2 folders of
format version 9 with MCAP storage that ``ros2 bag info/play``, Foxglove and rosbags' own Reader
open, and knows the standard message types (its Kilted type store gives every topic's message
definition and type hash). Its limits, and what this module does about them:

- it serialises nothing from rclpy objects: the subscriptions here are raw (rclpy hands over the
  CDR bytes as they came off the wire), so nothing is deserialised or serialised again;
- it writes in the calling thread, a Python record per message and a zstd-compressed chunk per
  MiB: the callbacks only queue the bytes, and a writer thread of its own writes them, so the
  executor (and the control loop on it) waits for nothing but a queue append;
- the MCAP summary and metadata.yaml are written by ``close`` only: a process killed before it
  leaves a bag that ``ros2 bag reindex`` must repair (the controller closes it at cleanup,
  shutdown and Ctrl-C);
- a bag folder is never overwritten: an existing path is an error.

Each message is stamped with the node's clock when it is received (sim time under use_sim_time,
as ``ros2 bag record --use-sim-time`` does), so a lockstep run replays at the simulated rate.
"""

from collections.abc import Callable, Sequence
import os
import queue
import threading
from typing import TYPE_CHECKING, Any, NamedTuple

from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy

if TYPE_CHECKING:
    from rclpy.node import Node
    from rosbags.interfaces import Connection, Qos

# How the recorder subscribes: deep queues, so a burst in lockstep is not dropped before the
# callback runs. Best effort matches every publisher; reliable only reliable ones.
RELIABLE = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=200,
                      reliability=ReliabilityPolicy.RELIABLE,
                      durability=DurabilityPolicy.VOLATILE)
BEST_EFFORT = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=200,
                         reliability=ReliabilityPolicy.BEST_EFFORT,
                         durability=DurabilityPolicy.VOLATILE)
TYPE_STORE = 'ROS2_KILTED'
_STOP = object()


class RecorderError(OSError):
    """A bag cannot be recorded as asked; the message says why."""


class Topic(NamedTuple):
    """A topic to record: its name as the node resolves it, its message class and the QoS."""

    name: str
    msg_type: type
    qos: QoSProfile


def type_name(msg_type: type) -> str:
    """'package/msg/Name' of an rclpy message class (what a bag stores)."""
    return f'{msg_type.__module__.split(".")[0]}/msg/{msg_type.__name__}'


def _offered(qos: QoSProfile) -> 'Qos':
    """The rosbags Qos that a bag offers on replay for a subscription profile."""
    from rosbags.interfaces import (
        Qos,
        QosDurability,
        QosHistory,
        QosLiveliness,
        QosReliability,
        QosTime,
    )

    reliable = qos.reliability == ReliabilityPolicy.RELIABLE
    never = QosTime(0x7FFFFFFF, 0xFFFFFFFF)
    return Qos(QosHistory.KEEP_LAST, qos.depth,
               QosReliability.RELIABLE if reliable else QosReliability.BEST_EFFORT,
               QosDurability.VOLATILE, never, never, QosLiveliness.AUTOMATIC, never, False)


class BagRecorder:
    """Records ``topics`` heard by ``node`` into a new rosbag2 folder ``path`` (MCAP storage,
    zstd chunks) until ``close``; ``counts`` holds the messages queued per topic."""

    def __init__(self, node: 'Node', path: str | os.PathLike[str],
                 topics: Sequence[Topic]) -> None:
        try:
            from rosbags.rosbag2 import Writer
            from rosbags.rosbag2.enums import CompressionFormat, CompressionMode, StoragePlugin
            from rosbags.rosbag2.errors import WriterError
            from rosbags.typesys import Stores, get_typestore
        except ImportError:
            raise RecorderError('recording needs the rosbags library: pip install '
                                '"memsnn_controller[record]" (or pip install rosbags)') from None
        self.path = str(path)
        self.counts: dict[str, int] = {}
        self._node = node
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._subscriptions: list[Any] = []
        self._writer: Writer | None = None
        store = get_typestore(getattr(Stores, TYPE_STORE))
        try:
            writer = Writer(self.path, version=9, storage_plugin=StoragePlugin.MCAP)
            writer.set_compression(CompressionMode.STORAGE, CompressionFormat.ZSTD)
            writer.open()
        except (WriterError, OSError) as exc:
            raise RecorderError(f'cannot record to {self.path}: {exc}') from None
        self._writer = writer
        self._clock = node.get_clock()
        try:
            for topic in topics:
                name = node.resolve_topic_name(topic.name)
                connection = writer.add_connection(
                    name, type_name(topic.msg_type), typestore=store,
                    offered_qos_profiles=[_offered(topic.qos)])
                self.counts[name] = 0
                self._subscriptions.append(node.create_subscription(
                    topic.msg_type, topic.name, self._callback(name, connection), topic.qos,
                    raw=True))
        except Exception:
            self._abort()
            raise
        self._thread = threading.Thread(target=self._write_all, name='bag-writer', daemon=True)
        self._thread.start()

    def _callback(self, name: str, connection: 'Connection') -> Callable[[bytes], None]:
        put = self._queue.put
        clock = self._clock
        counts = self.counts

        def on_message(data: bytes) -> None:
            put((connection, clock.now().nanoseconds, data))
            counts[name] += 1
        return on_message

    def _write_all(self) -> None:
        assert self._writer is not None
        write = self._writer.write
        get = self._queue.get
        while True:
            item = get()
            if item is _STOP:
                return
            write(*item)

    def close(self) -> None:
        """Stop listening, write what is queued, then the MCAP summary and metadata.yaml."""
        if self._writer is None:
            return
        for sub in self._subscriptions:
            self._node.destroy_subscription(sub)
        self._subscriptions = []
        self._queue.put(_STOP)
        self._thread.join()
        writer, self._writer = self._writer, None
        writer.close()

    def _abort(self) -> None:
        for sub in self._subscriptions:
            self._node.destroy_subscription(sub)
        self._subscriptions = []
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.close()


def controller_topics() -> list[Topic]:
    """What the controller records (its ``record_path``): the joint states it hears, the
    commands it publishes, its episode reports (``~/episodes``), /diagnostics (the status
    reports of every node) and /clock."""
    from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus
    from rosgraph_msgs.msg import Clock
    from sensor_msgs.msg import JointState
    from std_msgs.msg import Float64MultiArray

    return [Topic('joint_states', JointState, BEST_EFFORT),
            Topic('effort_controller/commands', Float64MultiArray, RELIABLE),
            Topic('~/episodes', DiagnosticStatus, RELIABLE),
            Topic('/diagnostics', DiagnosticArray, RELIABLE),
            Topic('/clock', Clock, BEST_EFFORT)]
