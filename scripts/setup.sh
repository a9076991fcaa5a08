#!/usr/bin/env bash
# Brings a fresh Debian 12 / Raspberry Pi OS machine (python3, git, make) to a working tree:
# the Debian packages the terminal and its tests need, then a venv with the project installed.
# Safe to run again: it installs only what is missing.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
venv="${VENV:-$here/.venv}"
py="${PYTHON:-python3}"

# What each package is for: venv/dev headers and a compiler build evdev from source; mosquitto
# is the broker the link tests start; xvfb and Mesa run Kivy without a screen; fonts draw Chinese;
# libusb is pyusb's backend for USB receipt printers; postgresql gives the collector tests a
# throwaway server of their own; chromium and its driver run the back office's browser test.
debs=(python3-venv python3-dev gcc linux-libc-dev mosquitto xvfb xauth libgl1 libgl1-mesa-dri
      libegl1 libgles2 libmtdev1 fonts-wqy-microhei fonts-noto-cjk sqlite3 gettext
      libusb-1.0-0 postgresql chromium chromium-driver)

missing=()
for d in "${debs[@]}"; do
    dpkg-query -W -f='${Status}' "$d" 2>/dev/null | grep -q "ok installed" || missing+=("$d")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    sudo_cmd=()
    [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ ! -x "$venv/bin/python" ]; then
    echo "setup: creating venv in $venv"
    "$py" -m venv "$venv"
fi
stamp="$venv/.installed"
if [ ! -f "$stamp" ] || [ "$here/pyproject.toml" -nt "$stamp" ] || [ "$here/scripts/setup.sh" -nt "$stamp" ]; then
    "$venv/bin/python" -m pip install -q --upgrade pip
    "$venv/bin/python" -m pip install -q -e "$here[dev,postgres]"
    touch "$stamp"
fi
