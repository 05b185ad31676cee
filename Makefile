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

bench: engine
	$(TSX) bench/run.ts

typecheck: install
	npx tsc --noEmit

clean:
	rm -rf dist node_modules/.installed
