"""common.stop: SIGINT and SIGTERM as a stop request that the caller polls."""

import signal

import pytest

from memsnn_controller.common.stop import StopSignals


def test_the_first_signal_is_recorded_and_the_handlers_come_back():
    before = signal.getsignal(signal.SIGTERM)
    heard = []
    with StopSignals(on_request=heard.append) as stop:
        assert not stop() and stop.requested is None
        signal.raise_signal(signal.SIGTERM)
        assert stop() and stop.requested == 'SIGTERM'
        signal.raise_signal(signal.SIGINT)  # later signals change nothing without escalate
        assert stop.requested == 'SIGTERM' and heard == ['SIGTERM']
    assert signal.getsignal(signal.SIGTERM) is before


def test_with_escalate_a_second_signal_interrupts_at_once():
    stop = StopSignals(escalate=True).install()
    try:
        signal.raise_signal(signal.SIGINT)
        assert stop.requested == 'SIGINT'
        with pytest.raises(KeyboardInterrupt):
            signal.raise_signal(signal.SIGINT)
    finally:
        stop.uninstall()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
