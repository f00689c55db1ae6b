#!/usr/bin/env bash
# Installs what `make test`, `make demo` and `make bench` need and is missing: the wasm32
# target, wasm-bindgen-cli at the exact version in Cargo.lock, Debian chromium +
# chromium-driver, and the npm packages of package-lock.json. Idempotent: each step checks
# first, so a machine that has everything passes through in about a second.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

step() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

# 1. Rust target for the wasm build.
if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  step "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# 1b. The pinned nightly and its rust-src, which build the release wasm with a size-built
#     std (scripts/build-pkg.sh says why). The date lives in build-pkg.sh only.
nightly=$(sed -n 's/^NIGHTLY=//p' scripts/build-pkg.sh)
if ! rustup component list --toolchain "$nightly" --installed 2>/dev/null | grep -q '^rust-src'; then
  step "rustup toolchain install $nightly with rust-src (about a minute)"
  rustup toolchain install "$nightly" --profile minimal --component rust-src
fi

# 2. wasm-bindgen CLI, pinned to the wasm-bindgen crate in Cargo.lock (they must match).
want=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ -z "$want" ]; then echo "setup: no wasm-bindgen in Cargo.lock" >&2; exit 1; fi
if [ "$have" != "$want" ]; then
  step "cargo install wasm-bindgen-cli $want (have: ${have:-none}; 2-4 minutes)"
  # Not --locked: the CLI's own lockfile names a crate version this index lacks (TOOLCHAIN.md).
  cargo install wasm-bindgen-cli --version "$want" --force
fi

# 3. Headless Chromium and its driver, for browser tests and the demo screenshots.
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  step "apt-get install chromium chromium-driver"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium chromium-driver >/dev/null
fi

# 4. npm packages, exactly as the lockfile says. npm ci when node_modules is missing or
#    older than the lockfile; `npm install` keeps the lockfile if npm ci refuses it
#    (npm 11 and other platforms' optional packages, TOOLCHAIN.md).
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "npm ci"
  npm ci --no-audit --no-fund --loglevel=error || npm install --no-audit --no-fund --loglevel=error
fi
