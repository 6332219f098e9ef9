#!/usr/bin/env bash
# Installs the test-only Node tooling (ajv, @qdrant/js-client-rest) used by AgentCrm.Knowledge.Tests' Qdrant tests.
# Idempotent: skips `npm ci` when node_modules already matches package-lock.json.
set -euo pipefail
cd "$(dirname "$0")"
command -v node >/dev/null || { echo "qdrant-js: node (>= 20) is required on PATH" >&2; exit 1; }
command -v npm >/dev/null || { echo "qdrant-js: npm is required on PATH" >&2; exit 1; }
if [ -f node_modules/.package-lock.json ] && [ node_modules/.package-lock.json -nt package-lock.json ] \
   && [ -d node_modules/ajv ] && [ -d node_modules/ajv-formats ] && [ -d node_modules/@qdrant/js-client-rest ]; then
  echo "qdrant-js: node_modules up to date"
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
touch node_modules/.package-lock.json
