#!/bin/sh
# Installs Debian 12's libvirt (9.0) and starts it without systemd, the way
# the tests and a person trying `--qmp libvirt:DOMAIN` need it:
#   - virtlogd -d, then libvirtd -d --listen with build/libvirtd-hmpsh.conf:
#     qemu:///system on the usual unix socket, and qemu+tcp://127.0.0.1/system
#     on loopback only, without authentication (a stand-in for a remote
#     host; never expose that on a real network).
# A libvirtd already running (systemd's, say) is left alone; the script
# then only checks that it answers, and says whether TCP is there.
# Idempotent. Root or sudo.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# openssh-server: the qemu+ssh test runs a private sshd on loopback (the
# script starts none).
if ! command -v libvirtd >/dev/null 2>&1 || ! command -v virsh >/dev/null 2>&1 || ! command -v sshd >/dev/null 2>&1; then
	echo "install-libvirt: installing Debian 12's libvirt-daemon-system, libvirt-clients and openssh-server" >&2
	export DEBIAN_FRONTEND=noninteractive
	sudo_ apt-get update -qq
	# The packages' own scripts try systemd; without it they complain and
	# carry on, which is what we want here.
	sudo_ apt-get install -y -qq --no-install-recommends libvirt-daemon-system libvirt-clients openssh-server >/dev/null
fi

# Root's daemons only: a private libvirtd a test runs as another user
# (qemu:///session) is not the system one.
running() { pgrep -u 0 -x "$1" >/dev/null 2>&1; }

if ! running virtlogd; then
	sudo_ virtlogd -d
fi
if ! running libvirtd; then
	echo "install-libvirt: starting libvirtd (qemu:///system, and qemu+tcp on 127.0.0.1)" >&2
	sudo_ libvirtd -d --listen -f "$here/libvirtd-hmpsh.conf"
fi

# The daemon takes a moment to open its sockets.
i=0
until virsh -c qemu:///system version >/dev/null 2>&1; do
	i=$((i + 1))
	if [ $i -ge 100 ]; then
		echo "install-libvirt: libvirtd does not answer on qemu:///system" >&2
		exit 1
	fi
	sleep 0.1
done
if virsh -c qemu+tcp://127.0.0.1/system version >/dev/null 2>&1; then
	echo "install-libvirt: libvirtd answers on qemu:///system and qemu+tcp://127.0.0.1/system" >&2
else
	echo "install-libvirt: libvirtd answers on qemu:///system; not on qemu+tcp://127.0.0.1/system (started by someone else without --listen)" >&2
fi
