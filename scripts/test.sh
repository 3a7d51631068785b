#!/usr/bin/env bash
# The one test command (npm test): static checks, then unit, integration and browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== typecheck"; npx tsc --noEmit -p tsconfig.json && npx tsc --noEmit -p web/tsconfig.json
echo "== lint"; npx biome check .
echo "== tests"; npx vitest run "$@"
