"""Test fixtures: ROS isolation and child processes that never outlive a test."""

import os

import pytest
from ros_domains import DomainPool

from memsnn_controller.common.processes import ManagedProcess, ros_environment

_POOL = DomainPool()


@pytest.fixture(scope='session', autouse=True)
def ros_isolation():
    """Keep DDS discovery on this machine and give the run a ROS_DOMAIN_ID of its own."""
    domain_id = _POOL.acquire()
    saved = {k: os.environ.get(k) for k in ('ROS_AUTOMATIC_DISCOVERY_RANGE', 'ROS_DOMAIN_ID')}
    os.environ['ROS_AUTOMATIC_DISCOVERY_RANGE'] = 'LOCALHOST'
    os.environ['ROS_DOMAIN_ID'] = str(domain_id)
    yield domain_id
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    _POOL.release(domain_id)


@pytest.fixture
def ros_domain(monkeypatch):
    """A ROS_DOMAIN_ID for this test alone, exported to the environment children inherit."""
    domain_id = _POOL.acquire()
    monkeypatch.setenv('ROS_DOMAIN_ID', str(domain_id))
    monkeypatch.setenv('ROS_AUTOMATIC_DISCOVERY_RANGE', 'LOCALHOST')
    yield domain_id
    _POOL.release(domain_id)


@pytest.fixture
def spawn(tmp_path, ros_domain):
    """Start child processes under this test's ROS domain; all are stopped when the test ends.

    ``spawn(argv, name=...)`` returns a started ManagedProcess whose output is in tmp_path.
    """
    started = []

    def _spawn(argv, name=None, env=None):
        name = name or f'proc{len(started)}'
        proc = ManagedProcess(argv, env=ros_environment(ros_domain, base=env), name=name,
                              log_path=tmp_path / f'{name}.log')
        started.append(proc)
        return proc.start()

    yield _spawn
    for proc in reversed(started):
        proc.stop()


@pytest.fixture
def rclpy_context(ros_domain):
    """An initialised rclpy context on this test's domain; shut down afterwards."""
    import rclpy

    context = rclpy.Context()
    rclpy.init(context=context, domain_id=ros_domain)
    yield context
    context.try_shutdown()
