#!/bin/sh
# Installs the two QEMU generations the tests run against, on Debian 12:
#   - Debian 12's own qemu-system-x86 (7.2), installed normally;
#   - bookworm-backports' qemu-system-x86 (10.0), unpacked with dpkg -x into
#     $QEMU_CACHE (both packages share a name, so only one can be installed;
#     the unpacked one uses the libraries the installed one pulled in).
#     Its own modules (qemu-system-common, -modules-opengl, -modules-spice)
#     are unpacked too: Debian's 10.0 looks for modules in the 7.2 module
#     directory and aborts on loading one ("-device help", "info qdm") unless
#     QEMU_MODULE_DIR points at $QEMU_CACHE/10.0/usr/lib/x86_64-linux-gnu/qemu,
#     where it finds its own first (internal/qemutest sets it).
# Idempotent: a second run does nothing but check.
set -eu

QEMU_CACHE=${QEMU_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hmpsh/qemu}
BPO_LIST=/etc/apt/sources.list.d/bookworm-backports.sources

sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# debian_uri prints the archive address the machine's own apt sources use
# for Debian 12 (deb822 .sources or one-line .list), so that a machine
# behind a local mirror keeps using it: no address is written here.
debian_uri() {
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk '
			/^[[:space:]]*$/ { if (deb && uri != "" && bookworm) { print uri; found = 1; exit } deb = 0; uri = ""; bookworm = 0; next }
			/^Types:/ && / deb( |$)/ { deb = 1 }
			/^URIs:/ { uri = $2 }
			/^Suites:/ && / bookworm( |$)/ { bookworm = 1 }
			END { if (!found && deb && uri != "" && bookworm) print uri }
		' "$f"
	done | head -1 | grep . && return 0
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		awk '$1 == "deb" { u = 2; if ($2 ~ /^\[/) { while (u <= NF && $u !~ /\]$/) u++; u++ } if ($(u + 1) == "bookworm") { print $u; exit } }' "$f"
	done | head -1 | grep .
}

need_update=
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
	uri=$(debian_uri) || { echo "install-qemu: no Debian 12 (bookworm) archive in the apt sources to add bookworm-backports from; add bookworm-backports yourself" >&2; exit 1; }
	echo "install-qemu: adding bookworm-backports from $uri to apt sources" >&2
	sudo_ sh -c "cat > $BPO_LIST" <<SRC
Types: deb
URIs: $uri
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	need_update=1
fi

if ! dpkg-query -W -f='${Status} ${Version}\n' qemu-system-x86 2>/dev/null | grep -q '^install ok installed 1:7\.2'; then
	echo "install-qemu: installing Debian 12's qemu-system-x86 (7.2)" >&2
	need_update=1
fi
QEMU10_MODDIR=$QEMU_CACHE/10.0/usr/lib/x86_64-linux-gnu/qemu
if [ ! -x "$QEMU_CACHE/10.0/usr/bin/qemu-system-x86_64" ] || [ ! -d "$QEMU10_MODDIR" ]; then
	need_update=1
fi
[ -z "$need_update" ] && { echo "install-qemu: QEMU 7.2 and 10.0 present" >&2; exit 0; }

export DEBIAN_FRONTEND=noninteractive
sudo_ apt-get update -qq
# Backports have the lower priority (100), so this is Debian 12's 7.2.
sudo_ apt-get install -y -qq --no-install-recommends qemu-system-x86 seabios ipxe-qemu >/dev/null
dpkg-query -W -f='${Version}' qemu-system-x86 | grep -q '^1:7\.2' ||
	{ echo "install-qemu: installed qemu-system-x86 is not 7.2" >&2; exit 1; }

if [ ! -x "$QEMU_CACHE/10.0/usr/bin/qemu-system-x86_64" ] || [ ! -d "$QEMU10_MODDIR" ]; then
	echo "install-qemu: unpacking bookworm-backports' qemu-system-x86 (10.0) into $QEMU_CACHE/10.0" >&2
	v10=$(apt-cache madison qemu-system-x86 | awk -F'|' '$3 ~ /backports/ && $2 ~ /10\.0/ {gsub(/ /,"",$2); print $2; exit}')
	[ -n "$v10" ] || { echo "install-qemu: no QEMU 10.0 in bookworm-backports" >&2; exit 1; }
	tmp=$(mktemp -d)
	pkgs10="qemu-system-x86=$v10 qemu-system-data=$v10 qemu-system-common=$v10 qemu-system-modules-opengl=$v10 qemu-system-modules-spice=$v10"
	# shellcheck disable=SC2086 # word splitting of the package list is wanted
	(cd "$tmp" && apt-get download -qq $pkgs10 "seabios/bookworm-backports" 2>/dev/null \
		|| (cd "$tmp" && apt-get download -qq $pkgs10))
	rm -rf "$QEMU_CACHE/10.0.tmp"
	mkdir -p "$QEMU_CACHE/10.0.tmp"
	for deb in "$tmp"/*.deb; do dpkg -x "$deb" "$QEMU_CACHE/10.0.tmp"; done
	rm -rf "$tmp" "$QEMU_CACHE/10.0"
	mv "$QEMU_CACHE/10.0.tmp" "$QEMU_CACHE/10.0"
fi
"$QEMU_CACHE/10.0/usr/bin/qemu-system-x86_64" --version | head -1 >&2
qemu-system-x86_64 --version | head -1 >&2
