# hmpsh. `make test` is the whole check, on a fresh Debian 12 machine too:
# it installs the two QEMUs and libvirt the tests run against, then vets
# and tests.

GO ?= go
QEMU_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/hmpsh/qemu
QEMU72 ?= /usr/bin/qemu-system-x86_64
QEMU10 ?= $(QEMU_CACHE)/10.0/usr/bin/qemu-system-x86_64
FUZZTIME ?= 20s

.PHONY: all build deps run test vet fuzz bench schemas docs clean

all: build

build:
	$(GO) build -o hmpsh .

# QEMU 7.2 (Debian 12) installed, QEMU 10.0 (bookworm-backports) unpacked;
# Debian 12's libvirt installed and its daemon started (qemu:///system, and
# qemu+tcp://127.0.0.1/system on loopback) for the libvirt monitor's tests.
deps:
	./build/install-qemu.sh
	./build/install-libvirt.sh

# The interactive shell on a sandbox of two throwaway QEMUs.
run: deps build
	./hmpsh $(ARGS)

vet:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

test: deps vet
	HMPSH_REQUIRE_QEMU=1 $(GO) test -race -count=1 ./...

# A short run of every fuzz target (go test allows one target per run);
# FUZZTIME=60s is the long run the README reports. fuzz_test.go checks
# that every target is here.
fuzz:
	$(GO) test ./split -run '^$$' -fuzz '^FuzzWords$$' -fuzztime $(FUZZTIME)
	$(GO) test ./split -run '^$$' -fuzz '^FuzzWordsLenient$$' -fuzztime $(FUZZTIME)
	$(GO) test ./split -run '^$$' -fuzz '^FuzzComma$$' -fuzztime $(FUZZTIME)
	$(GO) test ./split -run '^$$' -fuzz '^FuzzKeyVals$$' -fuzztime $(FUZZTIME)
	$(GO) test ./transports -run '^$$' -fuzz '^FuzzParseURI$$' -fuzztime $(FUZZTIME)
	$(GO) test ./transports -run '^$$' -fuzz '^FuzzSplitArgs$$' -fuzztime $(FUZZTIME)
	$(GO) test ./hmp -run '^$$' -fuzz '^FuzzChannel$$' -fuzztime $(FUZZTIME)
	$(GO) test ./hmp -run '^$$' -fuzz '^FuzzTranslate$$' -fuzztime $(FUZZTIME)
	$(GO) test ./hmp -run '^$$' -fuzz '^FuzzConvert$$' -fuzztime $(FUZZTIME)
	$(GO) test ./hmp -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME)
	$(GO) test ./transcript -run '^$$' -fuzz '^FuzzRoundTrip$$' -fuzztime $(FUZZTIME)
	$(GO) test ./transcript -run '^$$' -fuzz '^FuzzMaskedLinesMatch$$' -fuzztime $(FUZZTIME)
	$(GO) test ./transcript -run '^$$' -fuzz '^FuzzUpdate$$' -fuzztime $(FUZZTIME)
	$(GO) test ./qmp -run '^$$' -fuzz '^FuzzAppendString$$' -fuzztime $(FUZZTIME)
	$(GO) test ./qmp -run '^$$' -fuzz '^FuzzParseInt$$' -fuzztime $(FUZZTIME)
	$(GO) test ./qmp -run '^$$' -fuzz '^FuzzParseSchema$$' -fuzztime $(FUZZTIME)
	$(GO) test ./qmp -run '^$$' -fuzz '^FuzzGreeting$$' -fuzztime $(FUZZTIME)
	$(GO) test ./qmp -run '^$$' -fuzz '^FuzzMessages$$' -fuzztime $(FUZZTIME)
	$(GO) test ./shell/complete -run '^$$' -fuzz '^FuzzCandidates$$' -fuzztime $(FUZZTIME)
	$(GO) test ./shell/redact -run '^$$' -fuzz '^FuzzLine$$' -fuzztime $(FUZZTIME)
	$(GO) test ./shell -run '^$$' -fuzz '^FuzzPasteInput$$' -fuzztime $(FUZZTIME)

# The translation benchmarks, then hmpsh as a whole process against its
# floors (internal/bench), alternately, medians and ratios: --dry-run of
# 100,000 lines and the replay of 10,000 lines on a private QEMU 10.0,
# 15 runs of each; start-up and one line, 101 runs of each (a run is a few
# milliseconds). Without QEMU 10.0 (make deps) the live ones are skipped.
# Last, a long line pasted into the interactive shell on a pseudo-terminal
# (shell, BenchmarkPaste).
bench:
	$(GO) test ./hmp -run '^$$' -bench . -benchmem
	$(GO) test ./internal/bench -run '^$$' -bench 'DryRun100k|LiveReplay10k' -benchtime 15x
	$(GO) test ./internal/bench -run '^$$' -bench 'LiveStartup' -benchtime 101x
	$(GO) test ./shell -run '^$$' -bench '^BenchmarkPaste$$' -benchtime 5x

# Re-capture the schemas built into hmpsh from the real QEMUs.
schemas: deps
	./build/capture-schema.sh $(QEMU72) qmp/schemas/qemu-7.2.json.gz -L /usr/share/qemu -L /usr/share/seabios
	QEMU_MODULE_DIR=$(QEMU_CACHE)/10.0/usr/lib/x86_64-linux-gnu/qemu ./build/capture-schema.sh $(QEMU10) qmp/schemas/qemu-10.0.json.gz \
		-L $(QEMU_CACHE)/10.0/usr/share/qemu -L $(QEMU_CACHE)/10.0/usr/share/seabios

# Re-extract QEMU's own documentation of what "?" and "help COMMAND KEY"
# describe, from Debian's QEMU source package (the QEMU of the newest
# schema above).
docs:
	./build/extract-docs.sh qmp/docs/qemu-10.0.json.gz

clean:
	rm -f hmpsh
