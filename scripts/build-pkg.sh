#!/usr/bin/env bash
# Builds the npm package's generated parts, four builds of the same crate one after another:
#   full    (default features)   -> pkg/dist/          the `tasklane` entry
#   client  (--features client)  -> pkg/client/dist/   `tasklane/client`
#   webhook (--features webhook) -> pkg/webhook/dist/  `tasklane/webhook`
#   proxy   (--features proxy)   -> pkg/proxy/dist/    `tasklane/proxy`
# each: release wasm (cargo) -> wasm-bindgen --target web -> wasm-opt -Oz (npm binaryen) -> sizes.
# cargo writes target/wasm32-unknown-unknown/release/tasklane.wasm for whichever feature set
# it built last (and relinks it on every switch), so each variant is bindgen'd right after
# its own cargo build, and its bindgen/opt steps are skipped when pkg/<...>/dist/.stamp
# holds the hash of the same release .wasm (and of this script). The full build goes last,
# so target/ ends with the default build other tools (bench/size/areas.mjs) expect.
set -euo pipefail
shopt -s nullglob
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export PATH="$HOME/.cargo/bin:$PATH"

want="$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/"/,"",$3); print $3; exit}' Cargo.lock)"
have="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)"
if [[ -z "$have" ]]; then
  echo "build-pkg: wasm-bindgen CLI not found; run 'make setup' (needs wasm-bindgen-cli $want)" >&2
  exit 1
fi
if [[ "$have" != "$want" ]]; then
  echo "build-pkg: wasm-bindgen CLI is $have but Cargo.lock pins $want; run 'cargo install wasm-bindgen-cli --version $want'" >&2
  exit 1
fi
wasm_opt="$root/node_modules/.bin/wasm-opt"   # npm binaryen; Debian's wasm-opt breaks the output
if [[ ! -x "$wasm_opt" ]]; then
  echo "build-pkg: $wasm_opt missing; run 'npm install' (binaryen from package-lock.json)" >&2
  exit 1
fi

# The release wasm is built by a pinned nightly that rebuilds std for it (-Zbuild-std):
# panics abort at once, without the message formatting and unwinding glue std otherwise
# links in, and std's internals are compiled for size (optimize_for_size). That is
# ~50 KB less wasm (~17 KB gzip); bench/size/BREAKDOWN.md has the figures. A panic is a
# bug either way (the code never panics on input); it now traps without a console message.
# `make setup` installs this toolchain with rust-src; without it we fall back to stable.
NIGHTLY=nightly-2026-05-20
# Without the reference-types and multivalue features rustc enables for wasm32 by default,
# wasm-bindgen keeps JS values in its glue's slab instead of an externref table: ≈1.1 KB less
# wasm for ≈0.4 KB more glue (gzip), -0.5 to -1.1 KB per build, and a module any
# WebAssembly 1.0 runtime with bulk memory loads.
FEATURES="-Ctarget-feature=-reference-types,-multivalue"
if rustup component list --toolchain "$NIGHTLY" --installed 2>/dev/null | grep -q '^rust-src'; then
  cargo_release() {
    # -Zlocation-detail=none: no file/line strings for panic locations nobody prints (-2 KB).
    RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none $FEATURES ${VARIANT_FLAGS:-}" \
      cargo "+$NIGHTLY" build -Zbuild-std=std,panic_abort -Zbuild-std-features=optimize_for_size \
      --release --target wasm32-unknown-unknown -p tasklane "$@"
  }
else
  echo "build-pkg: $NIGHTLY with rust-src is missing ('make setup'); building with stable (≈50 KB larger wasm)" >&2
  cargo_release() { RUSTFLAGS="$FEATURES ${VARIANT_FLAGS:-}" cargo build --release --target wasm32-unknown-unknown -p tasklane "$@"; }
fi
raw="target/wasm32-unknown-unknown/release/tasklane.wasm"
# A build is redone when this script or the name shortener changes, too.
script_hash="$(cat "${BASH_SOURCE[0]}" scripts/short-names.mjs | sha256sum | cut -d' ' -f1)"

size() { printf '%8d B raw %8d B gzip -9' "$(wc -c <"$1")" "$(gzip -9c <"$1" | wc -c)"; }

# build_variant LABEL OUT_DIR OUT_NAME [cargo feature flags...]
build_variant() {
  local label="$1" out="$2" name="$3"
  shift 3
  cargo_release "$@"
  local stamp="$out/.stamp" key
  key="$(sha256sum "$raw" | cut -d' ' -f1) $script_hash"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$key" && -f "$out/${name}_bg.wasm" ]]; then
    echo "build-pkg: $out is up to date"
  else
    # Only this variant's files: pkg/dist/ is the full build's, the others have their own dirs.
    rm -rf "$out/snippets" "$out/$name.js" "$out/$name.d.ts" "$out/${name}_bg.wasm" "$out/${name}_bg.wasm.d.ts" "$stamp"
    wasm-bindgen --target web --out-dir "$out" --out-name "$name" "$raw"
    # --zero-filled-memory: a fresh instance's memory is zeros, so zero data needs no segment;
    # --low-memory-unused: Rust puts a 1 MiB stack first, so the low 1 KiB is only touched by a
    # stack that already overflowed. Together -2.7 KB raw, -1 KB gzip. A second -Oz pass
    # finds another ~0.5 KB gzip (a third, or --converge, nothing more).
    # $OPT_EXTRA: passes for one variant only, between the two -Oz passes (see the calls).
    # shellcheck disable=SC2086
    "$wasm_opt" -Oz ${OPT_EXTRA:-} -Oz --zero-filled-memory --low-memory-unused --strip-debug --strip-producers --strip-target-features --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
      --enable-mutable-globals ${OPT_FEATURES:-} \
      "$out/${name}_bg.wasm" -o "$out/${name}_bg.opt.wasm"
    mv "$out/${name}_bg.opt.wasm" "$out/${name}_bg.wasm"
    # Short import/export names in the .wasm and its glue (-2.6 KB gzip per build).
    node scripts/short-names.mjs "$out" "$name"
    rm -f "$out/${name}_bg.wasm.d.ts"   # lists the long export names; not shipped
    # The glue and snippets minified (esbuild from package-lock.json): a page that loads
    # dist/ straight from a CDN ships them as they are. -3 KB gzip for the client build.
    # The types are in the .d.ts beside them; the first line's @ts-self-types (Deno reads
    # it) is put back. wasm-bindgen's import object names the snippet file once per import
    # (the same module each time), which esbuild would warn about on every build.
    for js in "$out/$name.js" "$out"/snippets/*/*.js; do
      local head=""
      [[ "$js" == "$out/$name.js" ]] && head="$(head -n1 "$js")"
      "$root/node_modules/.bin/esbuild" "$js" --minify --format=esm --log-level=warning --log-override:duplicate-object-key=silent --outfile="$js.min"
      { [[ -n "$head" ]] && printf '%s\n' "$head"; cat "$js.min"; } >"$js"
      rm "$js.min"
    done
    echo "$key" >"$stamp"
  fi

  # The wasm must import nothing from `env` (a sign of a missing shim or std item).
  if ! node -e 'const m=new WebAssembly.Module(require("fs").readFileSync(process.argv[1]));process.exit(WebAssembly.Module.imports(m).some(i=>i.module==="env")?1:0)' "$out/${name}_bg.wasm"; then
    echo "build-pkg: $out/${name}_bg.wasm imports from 'env'" >&2
    exit 1
  fi

  sizes+=("build-pkg: $label ($out)"
    "  wasm        $(size "$out/${name}_bg.wasm")"
    "  wasm glue   $(size "$out/$name.js")"
    "  snippets    $(cat "$out"/snippets/*/*.js | wc -c) B raw (inline_js)")
}

sizes=()
# The client build's control flow rebuilt by binaryen's flatten + rereloop before the last
# -Oz: -0.6 KB gzip there. Not for the webhook and proxy builds, whose per-request speed
# is benchmarked and which this was not measured on; the client's CPU time is its timers.
OPT_EXTRA="--flatten --rereloop -Oz" build_variant "tasklane/client" pkg/client/dist tasklane_client --no-default-features --features client
# The webhook receiver compiled for speed (opt-level 3 instead of "z"): a verification is
# fixed cost at the sizes webhooks have, spread over the core's parser, the normalizer and
# the shell (issue 4: 1 KiB in Node ≈30 % faster), for ≈ +10 KB gzip; the build stays
# under issue 7's 64 KiB budget. And with wasm's SIMD (simd128: Node 16.4+, Deno, workerd,
# browsers since 2021-2023), which scans a body's long strings sixteen bytes per step
# (json::parse). The other builds are compiled for size and for WebAssembly 1.0.
VARIANT_FLAGS="-Ctarget-feature=+simd128" OPT_FEATURES="--enable-simd" build_variant "tasklane/webhook" pkg/webhook/dist tasklane_webhook --no-default-features --features webhook,fast-alloc --config profile.release.opt-level=3
build_variant "tasklane/proxy" pkg/proxy/dist tasklane_proxy --no-default-features --features proxy
build_variant "tasklane (full)" pkg/dist tasklane

# The license texts ship in the npm package too (package.json "files"); one copy, at the root.
cp LICENSE-MIT LICENSE-APACHE pkg/

echo "build-pkg: sizes"
printf '%s\n' "${sizes[@]}"
echo "  js total    $(cat pkg/dist/tasklane.js pkg/*.js pkg/load/*.js pkg/dist/snippets/*/*.js | wc -c) B raw $(cat pkg/dist/tasklane.js pkg/*.js pkg/load/*.js pkg/dist/snippets/*/*.js | gzip -9 | wc -c) B gzip -9 (full glue + entries)"
