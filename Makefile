# tasklane: the two commands a fresh machine needs are `make demo` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
export PATH := $(HOME)/.cargo/bin:$(CURDIR)/node_modules/.bin:$(PATH)

.PHONY: help setup build sim test test-native test-wasm test-js lint demo bench fuzz clean

help:
	@echo "make demo   build, start the simulator, serve the demo page and print its URL"
	@echo "make test   install what is missing, then run every test"
	@echo "make build  build the npm package into pkg/dist"
	@echo "make bench  run the benchmarks and rewrite BENCHMARKS.md"
	@echo "make fuzz   run each fuzz target for a bounded time"

setup:
	@bash scripts/setup.sh

build: setup
	@bash scripts/build-pkg.sh

sim:
	cargo build -p tasklane-sim

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy -p tasklane --target wasm32-unknown-unknown --all-targets -- -D warnings
	cargo clippy -p tasklane --target wasm32-unknown-unknown --no-default-features --features client -- -D warnings
	cargo clippy -p tasklane --target wasm32-unknown-unknown --no-default-features --features webhook,fast-alloc -- -D warnings
	cargo clippy -p tasklane --target wasm32-unknown-unknown --no-default-features --features proxy -- -D warnings

test-native:
	cargo test --workspace
	# the core as the polling client's build has it (without the `wanted` feature)
	cargo test -p tasklane-core --no-default-features --lib

test-wasm:
	@bash scripts/test-wasm.sh

test-js: sim
	@bash scripts/test-js.sh

test: setup
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory test-native
	@bash scripts/build-pkg.sh
	$(MAKE) --no-print-directory test-wasm
	$(MAKE) --no-print-directory test-js

demo: build
	@bash scripts/demo.sh

bench: build
	@bash scripts/bench.sh

fuzz: setup
	@bash scripts/fuzz.sh

clean:
	cargo clean
	rm -rf pkg/dist pkg/client/dist pkg/webhook/dist pkg/proxy/dist test-output
