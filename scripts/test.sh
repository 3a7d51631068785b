#!/usr/bin/env bash
# The one test command (npm test): static checks, unit and integration tests (real PostgreSQL),
# then browser tests. Browser tests run last, alone: they serve dist/web, which the start-up
# test rebuilds.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== typecheck"
npx tsc --noEmit -p tsconfig.json
npx tsc --noEmit -p web/tsconfig.json
echo "== lint"
npx biome check .
echo "== unit + integration tests"
npx vitest run --project unit --project integration
echo "== browser tests"
npx vitest run --project e2e
