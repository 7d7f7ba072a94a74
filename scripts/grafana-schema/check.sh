#!/usr/bin/env bash
# Checks a Grafana dashboard JSON file (default: docs/grafana-dashboard.json) against Grafana's own dashboard
# types: writes a TypeScript file that assigns the JSON to a constant typed DashboardJson (dashboard-json.ts)
# and runs the TypeScript compiler over it. tsc's messages name the JSON's own lines. Exit 0 when it conforms.
#   check.sh --install   only install the pinned packages (npm ci), when package-lock.json changed since;
#                        scripts/prereqs.sh runs this, so the check itself needs no network.
set -euo pipefail

HERE=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
TSC=$HERE/node_modules/.bin/tsc

command -v node >/dev/null && command -v npm >/dev/null \
    || { echo "grafana-schema: node and npm are missing: apt-get install nodejs npm (scripts/prereqs.sh does)" >&2; exit 2; }

# npm ci leaves node_modules/.package-lock.json; a lock file newer than it means the pins changed.
if [[ ! -x $TSC || $HERE/package-lock.json -nt $HERE/node_modules/.package-lock.json ]]; then
    echo "grafana-schema: installing the pinned @grafana/schema and typescript (npm ci)" >&2
    (cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error >&2)
fi
[[ ${1:-} == --install ]] && exit 0

dashboard=$(readlink -f "${1:-$HERE/../../docs/grafana-dashboard.json}")
[[ -f $dashboard ]] || { echo "grafana-schema: no dashboard at $dashboard" >&2; exit 2; }

tmp=$(mktemp -d /tmp/edgerent-grafana-schema.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
# The JSON's first line shares the generated file's first line, so tsc's line numbers are the JSON's.
ts=$tmp/$(basename "$dashboard" .json).ts
{
    printf 'import type { DashboardJson } from "%s/dashboard-json";\nexport const dashboard: DashboardJson = ' "$HERE" | tr -d '\n'
    cat "$dashboard"
    printf ';\n'
} >"$ts"
# Run from the generated file's folder: tsc then names it plainly, and sed names the JSON instead.
(cd "$tmp" && "$TSC" --noEmit --strict --target es2022 --module esnext --moduleResolution bundler --skipLibCheck \
    --pretty false "$(basename "$ts")") | sed "s|^$(basename "$ts")(|$dashboard(|"
