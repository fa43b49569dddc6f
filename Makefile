# Herald's everyday commands; the README's quick start uses these.
GO ?= go

.PHONY: help run demo test test-short lint bench load build docker

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

lint: ## gofmt and go vet
	@test -z "$$(gofmt -l .)" || (gofmt -l .; exit 1)
	$(GO) vet ./...

bench: ## Go benchmarks of the public pages against a bare Fiber handler
	$(GO) test ./status/web/ -run '^$$' -bench BenchmarkPublic -benchtime 3s

load: ## load test with wrk against 127.0.0.1 (needs the wrk package)
	$(GO) run ./cmd/herald-load

build: ## build a static binary into bin/herald
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '-s -w' -o bin/herald ./cmd/herald

docker: ## build the container image
	docker build -t herald .
