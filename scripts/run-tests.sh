#!/usr/bin/env bash
# The whole default suite: lint, type check, then pytest under a virtual screen. Slow suites
# join with POS_SLOW=1 (make test-all).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
venv="${VENV:-$here/.venv}"
"$venv/bin/ruff" check terminal provisioning tests bench
# Types: the packages and per-module strictness come from [tool.mypy] in pyproject.toml.
"$venv/bin/mypy"
markers="not hardware and not slow"
[ -n "${POS_SLOW:-}" ] && markers="not hardware"
POS_FORCE_XVFB=1 scripts/with-xvfb.sh "$venv/bin/python" -m pytest -m "$markers" "$@"
