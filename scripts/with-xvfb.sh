#!/usr/bin/env bash
# Runs a command with a virtual X screen when there is no real one, so Kivy can open a window.
set -euo pipefail
if [ -n "${DISPLAY:-}" ] && [ -z "${POS_FORCE_XVFB:-}" ]; then
    exec "$@"
fi
for n in $(seq 90 140); do
    [ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ] || { disp=":$n"; break; }
done
Xvfb "$disp" -screen 0 1280x1280x24 -nolisten tcp >/dev/null 2>&1 &
xvfb_pid=$!
trap 'kill $xvfb_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do [ -e "/tmp/.X11-unix/X${disp#:}" ] && break; sleep 0.1; done
DISPLAY="$disp" "$@"
