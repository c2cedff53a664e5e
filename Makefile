# The two commands README.md promises: `make run` and `make test`.
GO          ?= go
BIN         ?= bin/pff
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT      ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
BUILD_DATE  ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS     := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.buildDate=$(BUILD_DATE)
ACTIONLINT  := github.com/rhysd/actionlint/cmd/actionlint@v1.7.12
# make lint's linters, at the versions .github/workflows/ci.yml pins.
GOLANGCI_LINT    := github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.15.0
GOVULNCHECK      := golang.org/x/vuln/cmd/govulncheck@v1.9.0
# golangci-lint's parallelism: the machines are shared, so one by default.
LINT_CONCURRENCY ?= 1
# govulncheck reads a pinned snapshot of the Go vulnerability database, built
# from the module golang.org/x/vulndb that the Go module proxy serves, so that
# make lint needs nothing else; raise VULNDB_VERSION for newer reports. CI's
# security job reads the live database, as does GOVULNDB=https://vuln.go.dev.
VULNDB_VERSION   := v0.0.0-20261105234957-e22db6528018
VULNDB_DIR       := $(shell $(GO) env GOCACHE)/pff-vulndb-$(VULNDB_VERSION)
GOVULNDB         ?= file://$(VULNDB_DIR)

.PHONY: build run test test-short lint bench postgres chromium screenshots dist test-windows wine prometheus

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) .

## dist: the six binaries a release has (.goreleaser.yaml builds the same in CI), cross-compiled
## into dist/pff_<os>_<arch>[.exe] with the flags of build, without GoReleaser.
DIST_PLATFORMS := linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64
dist:
	@mkdir -p dist
	@set -e; for platform in $(DIST_PLATFORMS); do \
		os=$${platform%/*}; arch=$${platform#*/}; out=dist/pff_$${os}_$${arch}; \
		if [ "$$os" = windows ]; then out=$$out.exe; fi; \
		echo "$$out"; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $$out .; \
	done

## test-windows: the tests of every package that needs no database, built for Windows and run
## under Wine (Debian's wine64, installed by scripts/setup-wine.sh); prints what passes.
test-windows: wine
	scripts/test-windows.sh

wine:
	scripts/setup-wine.sh >/dev/null

postgres:
	scripts/setup-postgres.sh

## chromium: Debian's chromium, which the console's browser tests drive headless.
chromium:
	scripts/setup-chromium.sh

## prometheus: Debian's prometheus and promtool, which test the rules and dashboards of deploy/.
prometheus:
	scripts/setup-prometheus.sh

## run: a local PostgreSQL with pgvector, a fresh build, migrations, the API on :8000.
run: postgres build
	scripts/create-database.sh
	$(BIN) migrate up
	$(BIN) serve

## test: every package against the real local PostgreSQL and Redis, with the race detector;
## the console's tests in headless chromium and the Prometheus rules' and dashboards' tests with
## Debian's promtool and prometheus (both required here, skipped by a bare go test without them);
## then the tests of time, memory and allocation budgets, which the race detector makes moot.
BUDGET_TESTS := TestTheEnvelopeCostsAMicrosecondAndOneAllocationAtMost|TestEvaluateLatency|TestLatencyWithTenThousandRules|TestRulesFromCleanRecordsCatchFaults|TestTrainPhasesStayInTheirMemoryBudgets|TestHugeUploadsAreRefusedWithoutFillingMemory|TestCheckpointsAreNeverHeldInMemoryWhole
test: postgres chromium prometheus
	PFF_REQUIRE_BROWSER=1 PFF_REQUIRE_PROMETHEUS=1 $(GO) test -race -count=1 -timeout 20m ./...
	$(GO) test -count=1 -run '^($(BUDGET_TESTS))$$' ./app/httpapi ./app/rules ./app/validation ./app/mine ./app/learn ./e2e ./store

## screenshots: every console page at 1366×900, from the browser tests' seeded database, into screenshots/.
screenshots: postgres chromium
	PFF_REQUIRE_BROWSER=1 PFF_SCREENSHOTS=$(CURDIR)/screenshots $(GO) test -count=1 -run TestConsoleInBrowser ./app/console

## lint: gofmt, go vet, actionlint, golangci-lint with .golangci.yml (gosec among its linters) and
## govulncheck, each at a pinned version; scripts/vulncheck/allowed.txt says why a finding does not apply.
lint: $(if $(filter file://%,$(GOVULNDB)),$(VULNDB_DIR)/index/db.json)
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...
	$(GO) run $(ACTIONLINT) .github/workflows/*.yml
	$(GO) run $(GOLANGCI_LINT) run --concurrency $(LINT_CONCURRENCY) ./...
	@mkdir -p bin
	$(GO) run $(GOVULNCHECK) -db $(GOVULNDB) -format json ./... > bin/govulncheck.json
	$(GO) run ./scripts/vulncheck scripts/vulncheck/allowed.txt < bin/govulncheck.json

# The vulnerability database in the layout govulncheck reads, from the OSV
# reports of the pinned golang.org/x/vulndb (go run downloads the module).
$(VULNDB_DIR)/index/db.json:
	rm -rf $(VULNDB_DIR).tmp
	$(GO) run golang.org/x/vulndb/cmd/indexdb@$(VULNDB_VERSION) \
		-vulns "$$($(GO) env GOMODCACHE)/golang.org/x/vulndb@$(VULNDB_VERSION)/data/osv" -out $(VULNDB_DIR).tmp
	rm -rf $(VULNDB_DIR) && mv $(VULNDB_DIR).tmp $(VULNDB_DIR)

bench: postgres
	$(GO) test -run '^$$' -bench . -benchmem ./...
