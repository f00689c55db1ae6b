#!/usr/bin/env bash
# `make fuzz`: runs each cargo-fuzz target in fuzz/ for a bounded time (FUZZ_SECONDS each,
# default 30), starting from the committed seeds in fuzz/seeds/<target>/ plus whatever
# earlier runs left in fuzz/corpus/<target>/ (gitignored). cargo-fuzz needs nightly Rust;
# this script installs neither: run `rustup toolchain install nightly` and
# `cargo install cargo-fuzz` once. Crashes land in fuzz/artifacts/<target>/.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
export PATH="$HOME/.cargo/bin:$PATH"
secs="${FUZZ_SECONDS:-30}"
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  echo "fuzz: needs the nightly toolchain: rustup toolchain install nightly" >&2; exit 1
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: needs cargo-fuzz: cargo install cargo-fuzz" >&2; exit 1
fi
targets=(${FUZZ_TARGETS:-$(cargo +nightly fuzz list)})
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  echo "== fuzz: $t for ${secs}s"
  cargo +nightly fuzz run "$t" "corpus/$t" "seeds/$t" -- -max_total_time="$secs" -rss_limit_mb=2048 -print_final_stats=1 2>&1 \
    | grep -E "^(#[0-9]+ +DONE|Done|stat::number_of_executed_units|stat::peak_rss|==[0-9]+== ERROR|SUMMARY|artifact_prefix|Test unit written)" || true
  if [ -n "$(ls -A "artifacts/$t" 2>/dev/null)" ]; then
    echo "fuzz: $t found crashes in fuzz/artifacts/$t" >&2; exit 1
  fi
done
echo "fuzz: ${#targets[@]} targets ran ${secs}s each without a crash"
