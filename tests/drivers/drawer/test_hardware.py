"""With a real drawer on GPIO (opt in: ``pytest -m hardware``; set POS_HW_DRAWER_PIN, and
POS_HW_SENSOR_PIN if the drawer has an open sensor). The drawer opens once."""

from __future__ import annotations

import os
import time

import pytest

from terminal.drivers.drawer.gpio import GpioDrawer

pytestmark = pytest.mark.hardware


def test_a_real_drawer_opens():
    if "POS_HW_DRAWER_PIN" not in os.environ:
        pytest.skip("set POS_HW_DRAWER_PIN to the drawer's BCM pin")
    sensor = os.environ.get("POS_HW_SENSOR_PIN")
    drawer = GpioDrawer(
        int(os.environ["POS_HW_DRAWER_PIN"]),
        active_high=os.environ.get("POS_HW_ACTIVE_LOW") is None,
        sensor_pin=int(sensor) if sensor else None,
    )
    drawer.setup()
    try:
        drawer.open()
        if sensor:
            time.sleep(0.3)  # the drawer springs out; the sensor must settle past debounce
            assert drawer.is_open() is True
    finally:
        drawer.close()
