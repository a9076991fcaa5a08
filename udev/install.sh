#!/bin/sh
# Installs the terminal's udev rules and gives the service user the groups it needs.
# Usage: sudo udev/install.sh [user]    (default user: pos, the user of pos-terminal.service)
# Safe to run again.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
user=${1:-pos}
groups="input lp dialout gpio"

if [ "$(id -u)" -ne 0 ]; then
    echo "install.sh: run as root: sudo $0 $user" >&2
    exit 1
fi

for g in $groups; do
    getent group "$g" >/dev/null || groupadd --system "$g"
done

if id "$user" >/dev/null 2>&1; then
    usermod -aG "$(echo "$groups" | tr ' ' ',')" "$user"
else
    echo "install.sh: no user '$user' yet; after creating it run:" >&2
    echo "  sudo usermod -aG $(echo "$groups" | tr ' ' ',') $user" >&2
fi

install -m 0644 "$here/99-pos-terminal.rules" /etc/udev/rules.d/99-pos-terminal.rules
udevadm control --reload-rules
# Re-apply ownership to devices already plugged in.
udevadm trigger --action=change --subsystem-match=input --subsystem-match=usb \
    --subsystem-match=usbmisc --subsystem-match=tty --subsystem-match=gpio

echo "install.sh: rules installed, $user is in: $groups."
echo "Restart the service so it gets the groups: sudo systemctl restart pos-terminal"
