#!/usr/bin/env bash
# `make bench`: runs every benchmark of the project, each writing its own markdown section
# to bench/results/<name>.md, then joins them into BENCHMARKS.md with the machine and the
# versions. A benchmark that fails is reported in BENCHMARKS.md, not hidden.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
mkdir -p bench/results
rm -f bench/results/*.md

failed=()
for b in scripts/bench-*.sh; do
  name=$(basename "$b" .sh); name=${name#bench-}
  echo "== bench: $name"
  start=$(date +%s)
  if ! bash "$b"; then failed+=("$name"); fi
  echo "== bench: $name took $(( $(date +%s) - start )) s"
done

{
  echo "# tasklane benchmarks"
  echo
  echo "Written by \`make bench\` (\`scripts/bench.sh\`) on $(date -u '+%Y-%m-%d %H:%M UTC'); every table names the command that produced it."
  echo "Timings are from one run on this machine; rerun \`make bench\` to reproduce."
  echo
  echo "## Machine"
  echo
  echo "| what | value |"
  echo "|---|---|"
  echo "| CPU | $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//') × $(nproc) |"
  echo "| memory | $(free -g | awk '/Mem:/{print $2}') GiB |"
  echo "| OS | $(. /etc/os-release; echo "$PRETTY_NAME") |"
  echo "| rustc | $(rustc --version) |"
  echo "| node | $(node --version) |"
  for p in @fal-ai/client replicate standardwebhooks miniflare; do
    echo "| $p | $(node -p "require('./node_modules/$p/package.json').version" 2>/dev/null) |"
  done
  echo
  for f in bench/results/*.md; do [ -f "$f" ] && { cat "$f"; echo; }; done
  if [ ${#failed[@]} -gt 0 ]; then
    echo "## Failed benchmarks"
    echo
    for n in "${failed[@]}"; do echo "- \`scripts/bench-$n.sh\` exited non-zero in this run"; done
  fi
} > BENCHMARKS.md
echo "wrote BENCHMARKS.md"
[ ${#failed[@]} -eq 0 ]
