#!/usr/bin/env bash
# Installs the test-only Node tooling (@dapr/dapr, Dapr's official JavaScript SDK) used by AgentCrm.Actors.Tests'
# Dapr differential tests. Idempotent: skips `npm ci` when node_modules already matches package-lock.json.
set -euo pipefail
cd "$(dirname "$0")"
command -v node >/dev/null || { echo "dapr-js: node (>= 20) is required on PATH" >&2; exit 1; }
command -v npm >/dev/null || { echo "dapr-js: npm is required on PATH" >&2; exit 1; }
if [ -f node_modules/.package-lock.json ] && [ node_modules/.package-lock.json -nt package-lock.json ] \
   && [ -d node_modules/@dapr/dapr ] && [ -d node_modules/@js-temporal/polyfill ]; then
  echo "dapr-js: node_modules up to date"
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
touch node_modules/.package-lock.json
