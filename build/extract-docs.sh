#!/bin/sh
# extract-docs.sh OUT.json.gz
# Gets QEMU's source from Debian's "qemu" source package in
# bookworm-backports (the QEMU 10.0 whose schema is built into hmpsh),
# takes the QAPI files that document what hmpsh shows with "?" and
# "help COMMAND KEY", and has build/qapidoc keep the part hmpsh needs.
#
# The machine's apt sources name binary archives only ("Types: deb"); a
# temporary deb-src copy of each names the same archives, so no archive
# address is written here. Nothing outside a temporary directory changes:
# the package lists and apt's cache go there too.
set -eu
case $1 in /*) out=$1 ;; *) out=$PWD/$1 ;; esac
cd "$(dirname "$0")/.."
suite=${SUITE:-bookworm-backports}
# The QAPI files of what hmpsh documents, and of the types they use
# (MigrationAddress's socket and rdma members are in sockets.json,
# StrOrNull in common.json).
files=${QAPI_FILES:-"qapi/migration.json qapi/sockets.json qapi/common.json"}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/sources" "$tmp/lists/partial" "$tmp/cache/archives/partial" "$tmp/src" "$tmp/tree"

n=0
for f in /etc/apt/sources.list.d/*.sources; do
	[ -e "$f" ] || continue
	n=$((n + 1))
	sed -e 's/^Types:.*/Types: deb-src/' "$f" >"$tmp/sources/$n.sources"
done
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
	[ -e "$f" ] || continue
	n=$((n + 1))
	sed -n -e 's/^[[:space:]]*deb[[:space:]]/deb-src /p' "$f" >"$tmp/sources/$n.list"
done
grep -rqs -- "$suite" "$tmp/sources" ||
	{ echo "extract-docs: the apt sources name no $suite (./build/install-qemu.sh adds it)" >&2; exit 1; }

apt_() {
	apt-get -q -o APT::Sandbox::User=root -o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$tmp/sources" \
		-o Dir::State::Lists="$tmp/lists" -o Dir::Cache="$tmp/cache" "$@"
}
apt_ update >&2
cd "$tmp/src"
version=$(apt_ source --print-uris "qemu/$suite" 2>&1 | sed -n "s/^Selected version '\([^']*\)'.*/\1/p")
[ -n "$version" ] || { echo "extract-docs: no qemu source package in $suite" >&2; exit 1; }
# apt checks every file it fetches against the signed index; a file it
# could not fetch is reported, and only the upstream tarball is needed.
apt_ source --download-only "qemu/$suite" >&2 ||
	echo "extract-docs: apt-get source fetched only part of qemu $version; going on with the upstream tarball" >&2
cd "$OLDPWD"
orig=$(ls "$tmp"/src/qemu_*.orig.tar.* 2>/dev/null | head -n 1)
[ -n "$orig" ] || { echo "extract-docs: no upstream tarball of qemu $version" >&2; exit 1; }
echo "extract-docs: qemu $version, $(basename "$orig")" >&2

# Only the QAPI files and VERSION, under the tarball's top directory.
top=$(tar -tf "$orig" | head -n 1 | cut -d/ -f1)
members=
for f in $files; do members="$members $top/$f"; done
# shellcheck disable=SC2086 # one argument per file
tar -xf "$orig" -C "$tmp/tree" "$top/VERSION" $members

# Debian's patches to these files apply too: the documentation is that of
# the QEMU Debian built.
deb=$(ls "$tmp"/src/qemu_*.debian.tar.* 2>/dev/null | head -n 1)
if [ -z "$deb" ]; then
	echo "extract-docs: Debian's patches were not fetched: the files are upstream's" >&2
else
	tar -xf "$deb" -C "$tmp" debian/patches
	grep -v '^[[:space:]]*#' "$tmp/debian/patches/series" | while read -r p _; do
		[ -n "$p" ] || continue
		for f in $files; do
			if grep -q "^+++ [^/]*/$f" "$tmp/debian/patches/$p"; then
				echo "extract-docs: applying Debian's $p" >&2
				(cd "$tmp/tree/$top" && patch -s -p1 <"$tmp/debian/patches/$p")
				break
			fi
		done
	done
fi

qemu=$(cat "$tmp/tree/$top/VERSION")
# shellcheck disable=SC2086 # one argument per file
${GO:-go} run ./build/qapidoc -dir "$tmp/tree/$top" -qemu "$qemu" -package "$version" -source "$(basename "$orig")" $files |
	gzip -n -9 >"$out.tmp"
mv "$out.tmp" "$out"
echo "extract-docs: $out ($(wc -c <"$out") bytes)" >&2
