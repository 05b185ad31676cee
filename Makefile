# Every target that needs a real engine first runs scripts/engine.sh, which is idempotent.
SHELL := /bin/bash
TSX := node --import tsx

.PHONY: install engine test test-replay test-live record demo bench typecheck clean

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

install: node_modules/.installed

engine: install
	bash scripts/engine.sh

test-replay: install
	PODLING_TEST_MODE=replay $(TSX) test/run.ts

test-live: engine
	PODLING_TEST_MODE=live $(TSX) test/run.ts

test: install engine
	PODLING_TEST_MODE=replay,live $(TSX) test/run.ts

record: engine
	PODLING_TEST_MODE=record $(TSX) test/run.ts

demo: engine
	$(TSX) scripts/demo.ts

# Benchmark-only dependencies (dockerode, the baseline) live in bench/package.json and are installed
# into bench/node_modules, never into the library's own; their install scripts are not run. The
# benchmark runs the compiled library, so it builds first. Whole recipe: under 10 minutes.
bench: engine
	@start=$$(date +%s%3N); \
	if [ ! -e bench/node_modules/.installed ] || [ bench/package-lock.json -nt bench/node_modules/.installed ]; then \
	  npm ci --prefix bench --ignore-scripts --no-audit --no-fund && touch bench/node_modules/.installed; \
	fi && \
	npm run build && \
	PODLING_BENCH_MAKE_START=$$start $(TSX) bench/run.ts

typecheck: install
	npx tsc --noEmit

clean:
	rm -rf dist node_modules/.installed
