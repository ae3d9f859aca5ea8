"""The worker check: one clear message naming each worker and distribution that differ."""

from __future__ import annotations

import pytest
from datagen_plugin_dask import check

from datagen_kernel.api import PluginError


def test_this_environment_reports_the_kernel_its_plugins_faker_and_numpy() -> None:
    found = check.installed()
    assert {"datagen-kernel", "datagen-plugin-dask", "faker", "numpy"} <= set(found)
    assert found["faker"] == "40.63.0"


def test_a_missing_or_different_plugin_is_named() -> None:
    client = {"datagen-kernel": "0.1.0", "datagen-plugin-cards": "0.1.0", "numpy": "2.4.6", "faker": "40.63.0"}
    workers = {
        "tcp://10.0.0.1:4000": dict(client),
        "tcp://10.0.0.2:4000": {**client, "datagen-plugin-cards": "missing", "numpy": "2.3.0"},
        "tcp://10.0.0.3:4000": {**client, "datagen-plugin-extra": "1.0"},
    }
    with pytest.raises(PluginError) as raised:
        check.check(client, workers)
    message = str(raised.value)
    assert "10.0.0.1" not in message
    assert "worker tcp://10.0.0.2:4000: datagen-plugin-cards is missing (the client has 0.1.0), " \
           "numpy 2.3.0 (the client has 2.4.6)" in message
    assert "worker tcp://10.0.0.3:4000: datagen-plugin-extra 1.0 (not installed in the client)" in message
    check.check(client, {"tcp://10.0.0.1:4000": dict(client)})  # the same everywhere: no error
