"""engine/signals.py: SIGINT and SIGTERM recorded during a run, raised once at a safe point."""

from __future__ import annotations

import os
import signal

import pytest

from datagen_kernel.engine import signals


def test_a_signal_is_recorded_and_raised_once_at_the_next_check() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with signals.deferred_signals():
        signals.check()  # nothing received: no-op
        os.kill(os.getpid(), signal.SIGTERM)  # the handler runs here and only records it
        assert signals.pending() == "SIGTERM" and signals.unhandled() == "SIGTERM"
        with pytest.raises(signals.Interrupted) as raised:
            signals.check()
        assert raised.value.signal == "SIGTERM" and isinstance(raised.value, KeyboardInterrupt)
        signals.check()  # acted on once: the cleanup that follows is not interrupted again
        assert signals.unhandled() is None
    assert signal.getsignal(signal.SIGTERM) is before and signals.pending() is None


def test_a_second_signal_raises_at_once() -> None:
    with signals.deferred_signals():
        os.kill(os.getpid(), signal.SIGINT)
        with pytest.raises(signals.Interrupted) as raised:
            os.kill(os.getpid(), signal.SIGTERM)
        assert raised.value.signal == "SIGTERM"
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_nested_uses_share_one_state_and_the_outer_one_restores_the_handlers() -> None:
    with signals.deferred_signals():
        with signals.deferred_signals():
            os.kill(os.getpid(), signal.SIGINT)
        assert signals.pending() == "SIGINT"  # the inner block did not reset or restore anything
        with pytest.raises(signals.Interrupted):
            signals.check()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_exit_codes_are_128_plus_the_signal_number() -> None:
    assert signals.EXIT_CODES == {"SIGINT": 128 + signal.SIGINT, "SIGTERM": 128 + signal.SIGTERM}
