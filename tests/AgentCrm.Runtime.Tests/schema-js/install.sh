#!/usr/bin/env bash
# Installs ajv for the manifest schema test. Idempotent: skips `npm ci` when node_modules matches package-lock.json.
set -euo pipefail
cd "$(dirname "$0")"
# Tests run in parallel, and two of them may install at once: one `npm ci` at a time (the second then finds it done).
exec 9>"${TMPDIR:-/tmp}/agentcrm-schema-js-$(id -u)-$(pwd | cksum | cut -d' ' -f1).lock"
flock 9
command -v node >/dev/null || { echo "schema-js: node (>= 20) is required on PATH" >&2; exit 1; }
command -v npm >/dev/null || { echo "schema-js: npm is required on PATH" >&2; exit 1; }
if [ -f node_modules/.package-lock.json ] && [ node_modules/.package-lock.json -nt package-lock.json ] && [ -d node_modules/ajv ]; then
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
touch node_modules/.package-lock.json
