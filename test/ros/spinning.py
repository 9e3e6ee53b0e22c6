"""Spinning helpers shared by the in-test ROS clients (they set ``self.executor``)."""

import time


class Spinning:
    """Waits on an executor: until a predicate holds, for a time, or for a service's answer."""

    def spin_until(self, predicate, timeout, procs=()):
        """Spin until ``predicate()``; False on timeout or when one of ``procs`` (a NodeProcess or
        several; None: none) has exited."""
        if procs is None or hasattr(procs, 'running'):
            procs = (procs,)
        procs = [p for p in procs if p is not None]
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline or any(not p.running() for p in procs):
                return False
            self.executor.spin_once(timeout_sec=0.02)
        return True

    def spin_for(self, seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.executor.spin_once(timeout_sec=0.01)

    def call(self, client, request, timeout=20.0):
        assert client.wait_for_service(timeout_sec=timeout), f'{client.srv_name} not available'
        future = client.call_async(request)
        assert self.spin_until(future.done, timeout), f'{client.srv_name} did not answer'
        return future.result()
