# The check-in registry. `make help` lists the targets.
SHELL := /bin/bash
GO ?= go
PORT ?= 8080
export GOFLAGS := -buildvcs=false
# SAM sets ARTIFACTS_DIR when it calls build-<LogicalId>; `make build` uses .aws-sam/build.
ARTIFACTS_DIR ?=
VENV := .venv
PY := $(VENV)/bin
# The Go functions of template.yaml, by logical ID: each top-level resource of type
# AWS::Serverless::Function (not, say, a CloudFront function, which has no Go package).
FUNCTIONS := $(shell awk '/^  [A-Z][A-Za-z0-9]*:$$/ {id=substr($$1, 1, length($$1)-1)} \
	/^    Type: AWS::Serverless::Function$$/ {print id}' template.yaml)

.PHONY: help run test lint bench fuzz build deploy moto tools vulncheck
.DEFAULT_GOAL := help

help: ## List the targets
	@grep -hE '^[a-zA-Z%_-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | awk -F'\t' '{printf "  %-24s %s\n", $$1, $$2}'
	@echo "  build-<LogicalId>        Build one function for SAM: $(FUNCTIONS)"

run: moto web ## Start the local stack and serve the API at http://127.0.0.1:$(PORT)
	PATH="$(CURDIR)/$(PY):$$PATH" PORT=$(PORT) $(GO) run ./infra/local/cmd

test: moto lint test-tools ## Run every test (race detector on), against moto_server
	PATH="$(CURDIR)/$(PY):$$PATH" $(GO) test -race -count=1 -timeout 8m ./...
	PATH="$(CURDIR)/$(PY):$$PATH" $(GO) test -race -count=1 -tags tracing ./shared/tracing
	$(MAKE) --no-print-directory web-test

lint: tools ## gofmt, go vet, staticcheck, cfn-lint, and cfn-lint on the SAM translator's output
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(BIN)/staticcheck ./...
	PATH="$(CURDIR)/$(PY):$$PATH" cfn-lint template.yaml infra/edge-waf.yaml
	@mkdir -p .aws-sam
	PATH="$(CURDIR)/$(PY):$$PATH" python3 infra/sam/translate.py template.yaml .aws-sam/translated.json
	PATH="$(CURDIR)/$(PY):$$PATH" cfn-lint .aws-sam/translated.json

vulncheck: ## govulncheck against the vulnerability database (needs the network; not part of make test)
	GOBIN=$(BIN) $(GO) install golang.org/x/vuln/cmd/govulncheck@$(GOVULNCHECK_VERSION)
	$(BIN)/govulncheck ./...

# The attack simulator: every scenario at full size (SCENARIO=spray,botnet,... to choose,
# ARGS="-short" for CI's 10-minute versions, or any flag of `go run ./infra/attacksim/cmd -h`).
.PHONY: attack-sim
attack-sim: moto ## Run the attack simulator: table on stdout, CSV and PNG chart in test-artifacts/attack-sim/
	PATH="$(CURDIR)/$(PY):$$PATH" $(GO) run ./infra/attacksim/cmd $(if $(SCENARIO),-scenario $(SCENARIO)) $(ARGS)

bench: moto ## Benchmarks with allocation counts
	PATH="$(CURDIR)/$(PY):$$PATH" $(GO) test -run '^$$' -bench . -benchmem -count=1 ./...

# Every Go native fuzz target (func FuzzX in a _test.go file), each alone for
# FUZZTIME. Not part of make test, where their seeds (f.Add and testdata/fuzz/)
# run as ordinary tests. A failing input is written to testdata/fuzz/ and stays.
FUZZTIME ?= 30s
fuzz: ## Run every fuzz target for FUZZTIME (30s) each; the seed corpora run in make test
	@set -e; for f in $$(git ls-files '*_test.go' | xargs grep -l '^func Fuzz'); do \
		for t in $$(grep -o '^func Fuzz[A-Za-z0-9_]*' $$f | cut -c6-); do \
			echo "== $$t ($$(dirname $$f))"; \
			$(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) ./$$(dirname $$f); \
		done; \
	done

# TRACING=1 links the OpenTelemetry exporters (shared/tracing) into every function: for
# a stack deployed with TracingLayerArn. Without it, tracing costs the functions nothing.
comma := ,
BUILD_TAGS := lambda.norpc$(if $(TRACING),$(comma)tracing)

build: ## Build every function's bootstrap for arm64 into .aws-sam/build/<LogicalId>/
	@for f in $(FUNCTIONS); do $(MAKE) --no-print-directory build-$$f ARTIFACTS_DIR=$(CURDIR)/.aws-sam/build/$$f || exit 1; done

build-%Function:
	@test -n "$(ARTIFACTS_DIR)" || { echo "ARTIFACTS_DIR is not set (SAM sets it; or use make build)"; exit 1; }
	mkdir -p "$(ARTIFACTS_DIR)"
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build -tags $(BUILD_TAGS) -trimpath -ldflags='-s -w' \
		-o "$(ARTIFACTS_DIR)/bootstrap" ./functions/$(shell echo $* | tr A-Z a-z)/cmd

deploy: ## Deploy with SAM (sam build && sam deploy --guided)
	@command -v sam >/dev/null || { echo "sam is not installed: see README.md, Deploying"; exit 1; }
	sam build && sam deploy --guided

# CloudFormation creates the SMS protect configuration but cannot make it the account
# default, which is what SNS's SMS sends are checked against (docs/runbook.md).
.PHONY: sms-protect
sms-protect: ## Make the stack's SMS protect configuration the account default (STACK=<stack name>)
	@test -n "$(STACK)" || { echo "STACK is not set: make sms-protect STACK=<stack name>"; exit 1; }
	@command -v aws >/dev/null || { echo "the AWS CLI is not installed"; exit 1; }
	id=$$(aws cloudformation describe-stacks --stack-name "$(STACK)" --output text \
		--query "Stacks[0].Outputs[?OutputKey=='SmsProtectConfigurationId'].OutputValue") && \
	aws pinpoint-sms-voice-v2 set-account-default-protect-configuration --protect-configuration-id "$$id"

# The protection mode by hand (README, Operations). Against AWS: STACK names the stack
# (or TABLE the table); against the local stack: MOTO_URL, the emulator `make run` uses.
.PHONY: mode
mode: ## Show the protection mode, or MODE=elevated|lockdown|clear REASON="..." [STACK=|TABLE=] [FORGET=alarm]
	@table="$(TABLE)"; topic="$(ALARM_TOPIC_ARN)"; \
	if [ -z "$$table" ] && [ -n "$(STACK)" ]; then \
		out() { aws cloudformation describe-stacks --stack-name "$(STACK)" --output text \
			--query "Stacks[0].Outputs[?OutputKey=='$$1'].OutputValue" | sed 's/^None$$//'; }; \
		table=$$(out TableName) && topic=$$(out AlarmTopicArn) || exit 1; \
	fi; \
	$(GO) run ./infra/cmd/mode $${table:+-table "$$table"} $${topic:+-topic "$$topic"} \
		-mode "$(MODE)" -forget "$(FORGET)" -reason "$(REASON)"

# moto, cfn-lint and the SAM translator: use the machine's, else install the versions
# tested here into .venv (infra/moto/serve.py uses moto's own app; a new cfn-lint may
# add rules). Debian's python3 needs python3-venv for that, installed if missing.
# Go tools are installed at pinned versions into ./bin.
MOTO_VERSION := 5.2.1
CFN_LINT_VERSION := 1.51.0
SAM_TRANSLATOR_VERSION := 1.110.0
STATICCHECK_VERSION := v0.8.2
GOVULNCHECK_VERSION := v1.9.0
BIN := $(CURDIR)/bin
venv = test -x $(PY)/pip || python3 -m venv --clear $(VENV) || \
	{ apt-get update -qq && apt-get install -y -qq python3-venv && python3 -m venv --clear $(VENV); }

moto: ## Find or install moto (the local AWS emulator)
	@python3 -c "import moto.server" 2>/dev/null || $(PY)/python -c "import moto.server" 2>/dev/null || \
		{ $(venv) && $(PY)/pip install -q 'moto[server]==$(MOTO_VERSION)'; }

tools: ## Find or install cfn-lint and the SAM translator; install staticcheck into ./bin
	@{ command -v cfn-lint >/dev/null && python3 -c "import samtranslator" 2>/dev/null; } || \
		test -x $(PY)/cfn-lint || \
		{ $(venv) && $(PY)/pip install -q 'cfn-lint==$(CFN_LINT_VERSION)' 'aws-sam-translator==$(SAM_TRANSLATOR_VERSION)'; }
	@test -x $(BIN)/staticcheck && $(BIN)/staticcheck -version | grep -qF '($(STATICCHECK_VERSION:v%=%))' || \
		GOBIN=$(BIN) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

# The poster tests render PDFs with poppler (pdftoppm, pdftotext) and compare them with
# HarfBuzz's hb-view; the poster's fonts are subsets of Debian's Noto packages.
.PHONY: test-tools poster-fonts
test-tools: ## Install Debian's poppler-utils and libharfbuzz-bin for the poster tests if missing
	@command -v pdftoppm >/dev/null && command -v pdftotext >/dev/null && command -v hb-view >/dev/null || \
		{ apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y poppler-utils libharfbuzz-bin; }

poster-fonts: ## Regenerate functions/qr/fonts from Debian's Noto fonts (fonttools subsets)
	@test -f /usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc && /usr/bin/python3 -c 'import fontTools' 2>/dev/null || \
		{ apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y fonts-noto-core fonts-noto-cjk python3-fonttools; }
	/usr/bin/python3 functions/qr/fonts/subset.py functions/qr/fonts

# The registration site (web/): plain HTML, CSS and ES modules; web/build.mjs copies
# web/src and the ALTCHA widget from node_modules into web/dist, which is served.
.PHONY: web web-test chromium deploy-web
web: web/node_modules/.package-lock.json ## Build the static site into web/dist (npm ci when the lock file changed)
	cd web && node build.mjs

web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	@touch $@

chromium: ## Install Debian's chromium for the browser tests if it is missing
	@test -x /usr/bin/chromium || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }

web-test: moto web chromium ## Browser tests of the site: Debian chromium via playwright-core, screenshots in test-artifacts/web/
	cd web && PATH="$(CURDIR)/$(PY):$$PATH" node --test --test-concurrency=1 test/*.test.mjs

update-disposable: ## Refresh the disposable e-mail domain list from npm's disposable-email-domains
	tmp=$$(mktemp -d) && cd $$tmp && npm pack -q disposable-email-domains >/dev/null && tar xzf *.tgz && \
	node -e 'const a=require("./package/index.json").concat(require("./package/wildcard.json"));process.stdout.write([...new Set(a.map(d=>d.trim().toLowerCase()).filter(Boolean))].sort().join("\n")+"\n")' \
	> $(CURDIR)/shared/contact/disposable/domains.txt && rm -rf $$tmp

deploy-web: web ## Upload web/dist to a deployed stack's site bucket (STACK=<stack name>)
	@test -n "$(STACK)" || { echo "STACK is not set: make deploy-web STACK=<stack name>"; exit 1; }
	@command -v aws >/dev/null || { echo "the AWS CLI is not installed"; exit 1; }
	@out() { aws cloudformation describe-stacks --stack-name "$(STACK)" --query "Stacks[0].Outputs[?OutputKey=='$$1'].OutputValue" --output text; }; \
	bucket=$$(out SiteBucketName) && dist=$$(out SiteDistributionId) && \
	echo "assets, then pages, then old files, then the CDN cache" && \
	aws s3 sync web/dist "s3://$$bucket" --exclude "*.html" --cache-control "public, max-age=300" && \
	aws s3 sync web/dist "s3://$$bucket" --exclude "*" --include "*.html" --cache-control "public, max-age=300" && \
	aws s3 sync web/dist "s3://$$bucket" --delete --cache-control "public, max-age=300" && \
	aws cloudfront create-invalidation --distribution-id "$$dist" --paths "/*" >/dev/null
