# Every target that needs a real engine first runs scripts/engine.sh, which is idempotent.
SHELL := /bin/bash
TSX := node --import tsx

.PHONY: install bench-deps engine nodes nodes-down test test-replay test-live test-engines record demo bench typecheck clean

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

install: node_modules/.installed

engine: install
	bash scripts/engine.sh

# The multi-node test bed (docs/test-bed.md): three dockerd in network namespaces of their own,
# joined in a Swarm, with the main engine's test images loaded. Left up, like the engines, so later
# runs are quick; `make nodes-down` removes all of it.
nodes: engine
	bash scripts/nodes.sh up

nodes-down:
	bash scripts/nodes.sh down

# Benchmark-only dependencies (dockerode, the baseline) live in bench/package.json and are installed
# into bench/node_modules, never into the library's own; their install scripts are not run. The
# record/replay tests drive dockerode as one of the "other clients", so the test targets install
# them too (a few seconds; without them those sessions are skipped, and say so).
bench/node_modules/.installed: bench/package.json bench/package-lock.json
	npm ci --prefix bench --ignore-scripts --no-audit --no-fund
	touch $@

bench-deps: bench/node_modules/.installed

test-replay: install
	PODLING_TEST_MODE=replay $(TSX) test/run.ts

# The bed's namespaces, veths and host routes go when the run ends, pass or fail (its daemons are
# the tests' own, unlike the engines, which stay up).
test-live: engine nodes bench-deps
	PODLING_TEST_MODE=live $(TSX) test/run.ts; rc=$$?; bash scripts/nodes.sh down >/dev/null; exit $$rc

# The replay tier needs no engine; the bed is started before the run because the live tier uses it.
test: install engine nodes bench-deps
	PODLING_TEST_MODE=replay,live $(TSX) test/run.ts; rc=$$?; bash scripts/nodes.sh down >/dev/null; exit $$rc

# The live tier on every engine scripts/engine.sh starts (main dockerd, newer dockerd, Podman's
# API), one after another; one result line per engine, then the total (test/engines.ts).
test-engines: install engine bench-deps
	$(TSX) test/engines.ts

record: engine bench-deps
	PODLING_TEST_MODE=record $(TSX) test/run.ts

demo: engine
	$(TSX) scripts/demo.ts

# The benchmark runs the compiled library, so it builds first.
bench: engine bench-deps
	@start=$$(date +%s%3N); \
	npm run build && \
	PODLING_BENCH_MAKE_START=$$start $(TSX) bench/run.ts

typecheck: install
	npx tsc --noEmit

clean:
	rm -rf dist node_modules/.installed
