#!/usr/bin/env bash
# Regenerates the plugin reference in docs/config.md from a build:
#   tests/docs/update-config-md.sh [BUILD_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
reference=$(SLUICE_PLUGIN_PATH= "$build/bin/sluice" plugins --markdown)
REFERENCE="$reference" python3 - "$root/docs/config.md" <<'PY'
import os, re, sys
path = sys.argv[1]
text = open(path).read()
begin, end = "<!-- BEGIN PLUGIN REFERENCE -->\n", "<!-- END PLUGIN REFERENCE -->"
head, rest = text.split(begin, 1)
_, tail = rest.split(end, 1)
open(path, "w").write(head + begin + os.environ["REFERENCE"] + "\n" + end + tail)
PY
