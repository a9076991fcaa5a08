#!/usr/bin/env bash
# Builds an SD-card image: a Raspberry Pi OS Lite (bookworm, arm64) image you downloaded, with the
# terminal installed as a kiosk appliance.
#
#   sudo image-build/build.sh raspios-bookworm-arm64-lite.img out/pos-terminal.img
#
# Needs: losetup, mount, qemu-user-static + binfmt-support (to run arm64 apt/pip in a chroot on an
# x86 host; not needed on a Pi). The source image is never modified: it is copied first.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 SOURCE.img OUTPUT.img" >&2; exit 2; }
src=$1 out=$2
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
[ "$(id -u)" -eq 0 ] || { echo "build.sh: run as root (loop devices and chroot)" >&2; exit 1; }
[ -f "$src" ] || { echo "build.sh: no image at $src" >&2; exit 1; }

mkdir -p "$(dirname "$out")"
cp --sparse=always "$src" "$out"
# Room for the venv and the ledger: grow the root partition by 1 GiB.
truncate -s +1G "$out"
parted -s "$out" resizepart 2 100%
loop=$(losetup --show -fP "$out")
mnt=$(mktemp -d)
cleanup() {
    set +e
    for m in dev/pts dev proc sys boot/firmware ""; do umount "$mnt/$m" 2>/dev/null; done
    losetup -d "$loop"
    rmdir "$mnt"
}
trap cleanup EXIT
e2fsck -pf "${loop}p2" || true
resize2fs "${loop}p2"
mount "${loop}p2" "$mnt"
mount "${loop}p1" "$mnt/boot/firmware"
for m in dev dev/pts proc sys; do mount --bind "/$m" "$mnt/$m"; done

# The project as a source tree (no .git, no venv); installed into a venv inside the image.
install -d "$mnt/opt/pos-terminal/src" "$mnt/opt/pos-terminal/bin"
tar -C "$repo" --exclude=.git --exclude=.venv --exclude='__pycache__' -cf - . | tar -C "$mnt/opt/pos-terminal/src" -xf -
install -m 0755 "$here/files/pos-firstboot" "$mnt/opt/pos-terminal/bin/pos-firstboot"
install -m 0755 "$here/files/pos-alarm" "$mnt/opt/pos-terminal/bin/pos-alarm"
install -m 0644 "$repo"/systemd/*.service "$mnt/etc/systemd/system/"
# The hardware watchdog (pos-watchdog.conf) and the bounded wait for the network clock
# (pos-time-wait.conf) the kiosk starts after.
install -D -m 0644 "$here/files/systemd/system.conf.d/pos-watchdog.conf" \
    "$mnt/etc/systemd/system.conf.d/pos-watchdog.conf"
install -D -m 0644 "$here/files/systemd/systemd-time-wait-sync.service.d/pos-time-wait.conf" \
    "$mnt/etc/systemd/system/systemd-time-wait-sync.service.d/pos-time-wait.conf"
install -m 0644 "$repo"/udev/*.rules "$mnt/etc/udev/rules.d/" 2>/dev/null || true

chroot "$mnt" /bin/bash -euxo pipefail <<'CHROOT'
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends python3-venv python3-dev gcc linux-libc-dev \
    libgl1 libegl1 libgles2 libmtdev1 libdrm2 libgbm1 fonts-wqy-microhei sqlite3
id pos >/dev/null 2>&1 || useradd --system --home /var/lib/pos-terminal --create-home pos
for g in input lp dialout gpio video render; do getent group "$g" >/dev/null && usermod -aG "$g" pos; done
python3 -m venv /opt/pos-terminal/venv
/opt/pos-terminal/venv/bin/pip install --no-cache-dir "/opt/pos-terminal/src[pi]"
install -d -m 0750 -o root -g pos /etc/pos-terminal
install -d -m 0750 -o pos -g pos /var/lib/pos-terminal
systemctl enable pos-firstboot.service pos-terminal.service systemd-time-wait-sync.service
systemctl disable getty@tty1.service
# A kiosk has no use for these, and each is a way in.
systemctl disable bluetooth.service 2>/dev/null || true
apt-get clean
CHROOT

sync
echo "image ready: $out (write it with: dd if=$out of=/dev/sdX bs=4M conv=fsync status=progress)"
