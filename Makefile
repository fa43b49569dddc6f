# Herald's everyday commands; the README's quick start uses these.
GO ?= go

# golangci-lint is built from source by make lint-install, into go
# install's directory; GOLANGCI_LINT names another binary.
GOLANGCI_LINT_VERSION := v2.15.0
GOBIN_DIR := $(or $(shell $(GO) env GOBIN),$(firstword $(subst :, ,$(shell $(GO) env GOPATH)))/bin)
GOLANGCI_LINT ?= $(GOBIN_DIR)/golangci-lint

.PHONY: help run demo test test-short lint lint-install bench load build docker

help: ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

run: ## run Herald on the embedded SQLite database (http://localhost:8080)
	$(GO) run ./cmd/herald

demo: ## fill the database with demo data
	$(GO) run ./cmd/herald demo

test: ## run every test on SQLite and PostgreSQL, with the race detector
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 20m ./...

test-short: ## run the tests without the race detector
	$(GO) test -count=1 ./...

lint: ## gofmt, go vet and golangci-lint (.golangci.yml; make lint-install first)
	@test -z "$$(gofmt -l .)" || (gofmt -l .; exit 1)
	$(GO) vet ./...
	@test -x "$(GOLANGCI_LINT)" || { echo "$(GOLANGCI_LINT) is missing: run make lint-install"; exit 1; }
	$(GOLANGCI_LINT) run ./...

lint-install: ## install the pinned golangci-lint with go install, unless it is there
	@test "$$($(GOLANGCI_LINT) version --short 2>/dev/null)" = "$(GOLANGCI_LINT_VERSION:v%=%)" || \
		{ echo "Installing golangci-lint $(GOLANGCI_LINT_VERSION) into $(GOBIN_DIR)"; \
		$(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION); }

bench: ## Go benchmarks of the public pages against a bare Fiber handler
	$(GO) test ./status/web/ -run '^$$' -bench BenchmarkPublic -benchtime 3s

load: ## load test with wrk against 127.0.0.1 (needs the wrk package)
	$(GO) run ./cmd/herald-load

build: ## build a static binary into bin/herald
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '-s -w' -o bin/herald ./cmd/herald

docker: ## build the container image
	docker build -t herald .
