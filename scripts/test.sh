#!/usr/bin/env bash
# `npm test`: everything, from a fresh clone. Installs what the tests need (Debian packages,
# code-server with its Node), builds, type-checks, then runs the unit, integration and end-to-end
# tiers in one node:test run so the closing summary counts them all.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-deps.sh test
# The real VS Code (code-server and its Node 24) before any test: the e2e tests drive it and the
# grammar tests read its default themes. Cached in .cache/ after the first run.
node scripts/provision-code-server.mjs >/dev/null
npm run --silent build
npm run --silent typecheck
# One formatting (Prettier, .prettierrc.json): a file that drifts fails here, before the long tests.
npm run --silent format:check
shopt -s globstar nullglob
files=(test/unit/**/*.test.ts test/integration/**/*.test.ts test/e2e/**/*.test.ts)
exec node --import tsx --test --test-concurrency=1 --test-reporter=spec "${files[@]}"
