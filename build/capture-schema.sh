#!/bin/sh
# capture-schema.sh QEMU-BINARY OUT.json.gz [-L DIR ...]
# Asks a real QEMU for its greeting, query-qmp-schema and the list of its
# HMP commands ("help", "help info"), and stores them gzip'd without a
# timestamp, so that the same QEMU gives the same bytes.
set -eu
qemu=$1 out=$2
shift 2
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
printf '%s\n' '{"execute":"qmp_capabilities"}' '{"execute":"query-qmp-schema","id":"schema"}' \
	'{"execute":"human-monitor-command","arguments":{"command-line":"help"},"id":"help"}' \
	'{"execute":"human-monitor-command","arguments":{"command-line":"help info"},"id":"info"}' \
	'{"execute":"quit"}' |
	"$qemu" -machine none -nodefaults -display none -S "$@" -qmp stdio >"$tmp"
python3 - "$tmp" <<'PY' | gzip -n -9 >"$out"
import json, sys
greeting = schema = None
hmp = {}
for line in open(sys.argv[1]):
    msg = json.loads(line)
    if "QMP" in msg:
        greeting = msg["QMP"]
    elif msg.get("id") == "schema":
        schema = msg["return"]
    elif msg.get("id") in ("help", "info"):
        hmp[msg["id"]] = msg["return"]
if greeting is None or schema is None or len(hmp) != 2:
    sys.exit("capture-schema: missing greeting, schema or HMP help in QEMU's output")
# Entities sorted by name so the file diffs well between captures.
schema.sort(key=lambda e: e["name"])
json.dump({"qemu": greeting["version"]["qemu"], "package": greeting["version"]["package"],
           "hmp-help": hmp["help"], "hmp-info-help": hmp["info"], "schema": schema}, sys.stdout, indent=None, separators=(",", ":"))
sys.stdout.write("\n")
PY
echo "capture-schema: $out" >&2
