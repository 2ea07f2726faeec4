# Two commands a newcomer runs on a fresh Debian machine as root:
#   make demo   installs what is missing, builds in release mode and runs the demo
#   make test   installs what is missing and runs the whole test suite
SWIFT ?= swift

.PHONY: setup demo test build release bench clean

# libzstd-dev: the CZstd system library; libsqlite3-dev: GRDB's SQLite;
# zstd: the tests check that stock `zstd -t` / `zstd -dc` read our segments.
setup:
	@if ! pkg-config --exists libzstd 2>/dev/null || ! pkg-config --exists sqlite3 2>/dev/null || ! command -v zstd >/dev/null; then \
		echo "installing libzstd-dev libsqlite3-dev zstd pkg-config"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libzstd-dev libsqlite3-dev zstd pkg-config >/dev/null; \
	fi

build: setup
	$(SWIFT) build

release: setup
	$(SWIFT) build -c release --product ledger

demo: release
	./.build/release/ledger demo --directory demo-ledger

test: setup
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

bench: setup
	bash Benchmarks/run.sh

clean:
	rm -rf .build demo-ledger
