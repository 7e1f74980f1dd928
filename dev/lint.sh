#!/usr/bin/env bash
# make lint: pre-commit on every file (.pre-commit-config.yaml): ruff (check
# and format), pylint-odoo with the OCA's mandatory checks for 19.0, nl.po,
# prettier for XML, and the whitespace and syntax hooks. Fixes nothing in CI:
# a hook that would change a file fails.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PRE_COMMIT_HOME="${PRE_COMMIT_HOME:-$ROOT/.run/pre-commit}"
if "$ROOT/.venv/bin/pre-commit" run --all-files --show-diff-on-failure --color never; then
    echo "lint: pre-commit run --all-files is clean"
else
    echo "lint: failed"
    exit 1
fi
