#!/usr/bin/env bash
# The project's lint: ruff (configured in pyproject.toml) on the Python code, cython-lint on the
# Cython code, including both renderings of the Tempita templates (whose {{...}} blocks
# cython-lint cannot read). Needs ruff and cython-lint: pip install ruff cython-lint.
set -euo pipefail
cd "$(dirname "$0")/.."

ruff check src tests benchmarks tools docs
ruff format --check --exclude "*.md" src tests benchmarks tools docs

rendered="$(mktemp -d)"
trap 'rm -rf "$rendered"' EXIT
for template in $(find src -name '*.pyx.tp'); do
    base="$(basename "$template" .pyx.tp)"
    python tools/tempita.py "$template" "$rendered/$base.pyx" build=baseline
    python tools/tempita.py "$template" "$rendered/${base}_avx2.pyx" build=avx2
done
cython-lint --max-line-length 100 src "$rendered"
