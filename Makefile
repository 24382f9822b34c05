# ptilab - what does page-table isolation cost here, why is it on, and
# what would turn it off safely?  `make help` lists the targets.

SHELL := /bin/bash
.DEFAULT_GOAL := all

# Debian kernel series to fetch and boot (6.1 or 6.12).
KSERIES ?= 6.1
# Target of the module: the build machine's own architecture unless ARCH
# says otherwise (arm64 on x86 is cross-built with Debian's
# aarch64-linux-gnu- toolchain); vm-bench also takes ARCH=all.
karch = $(if $(filter arm64 aarch64,$(1)),arm64,x86_64)
HOST_KARCH := $(call karch,$(shell uname -m))
ARCH ?= $(HOST_KARCH)
override KARCH := $(call karch,$(ARCH))
# Build the module against these headers instead of Debian's fetched ones,
# e.g. KDIR=/lib/modules/$(uname -r)/build on a real test host.
KDIR ?=
BUILD := build
space := $(subst ,, )

.PHONY: all help deps kernel module userspace userspace-arm64 vm-bench bench report deb test lint clean

all: module userspace

help:
	@echo "make vm-bench   boot Debian's kernel with each isolation configuration, benchmark, write results/<run-id>/"
	@echo "make bench      benchmark this machine's running kernel (module if loadable), write results/<run-id>/"
	@echo "                (BENCH_ARGS=\"--quick --filter REGEX\": options of scripts/bench)"
	@echo "make report     HTML dashboard of RUNS=$(RUNS) -> <run>/report/index.html (OUT=DIR, BASELINE=RUN)"
	@echo "make deb        Debian packages ptilab and ptilab-dkms -> build/deb/ (DEB_ARCH=\"amd64 arm64\")"
	@echo "make test       unit tests and VM tests (boots pti=on and pti=off)"
	@echo "make lint       checkpatch --strict on the module, shellcheck, pyflakes (scripts/lint)"
	@echo "make deps       install the Debian packages ptilab needs (scripts/deps)"
	@echo "make kernel     fetch Debian's kernel and headers for KSERIES=$(KSERIES) into the cache"
	@echo "make module     build ptilab.ko (against Debian's headers, or KDIR=...)"
	@echo "make userspace  build the ptilab program and unit tests"
	@echo "make userspace-arm64  cross-build the ptilab program for arm64 guests (build/userspace-arm64/)"
	@echo "                (make module ARCH=arm64 cross-builds the module)"
	@echo "make clean      remove build/ (the kernel cache stays)"

deps:
	@scripts/deps

kernel: deps
	@scripts/kernel --arch $(KARCH) --series $(KSERIES) fetch >/dev/null

# Each kernel gets its own build directory, so modules for several
# kernels (and later architectures) coexist: build/module/<release>/.
ifeq ($(KDIR),)
module: kernel
	@kdir=$$(scripts/kernel --arch $(KARCH) --series $(KSERIES) kdir) && \
	abi=$$(scripts/kernel --arch $(KARCH) --series $(KSERIES) abi) && \
	$(MAKE) --no-print-directory module-build MODULE_KDIR=$$kdir MODULE_OUT=$(BUILD)/module/$$abi
else
module:
	@$(MAKE) --no-print-directory module-build MODULE_KDIR=$(KDIR) \
		MODULE_OUT=$(BUILD)/module/$(notdir $(patsubst %/build,%,$(patsubst %/,%,$(KDIR))))
endif

# Kbuild takes ARCH from the environment too, so always pass it: the
# x86 build gets ARCH=x86, never the user's ARCH=x86_64 spelling. A
# prefixed toolchain only when the target is not the build machine's (a
# test host builds natively, with the compiler its headers name).
CROSS_PREFIX_arm64 := aarch64-linux-gnu-
CROSS_PREFIX_x86_64 := x86_64-linux-gnu-
MODULE_CROSS = ARCH=$(if $(filter arm64,$(KARCH)),arm64,x86) \
	$(if $(filter-out $(HOST_KARCH),$(KARCH)),CROSS_COMPILE=$(CROSS_PREFIX_$(KARCH)))

.PHONY: module-build
module-build:
	@test -f $(MODULE_KDIR)/Makefile || { echo "make: no kernel build tree at $(MODULE_KDIR) (install linux-headers-$$(uname -r)?)"; exit 1; }
	@mkdir -p $(MODULE_OUT)
	@cp -u module/*.c module/*.h module/Kbuild $(MODULE_OUT)/
	$(MAKE) -C $(MODULE_KDIR) M=$(abspath $(MODULE_OUT)) $(MODULE_CROSS) modules
	@echo "module: $(MODULE_OUT)/ptilab.ko"

userspace: deps
	@cmake -S userspace -B $(BUILD)/userspace -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BUILD)/userspace -j$$(nproc)

# The guest program for arm64: same sources, Debian's cross compiler and
# arm64 libraries (scripts/deps), no tests.
userspace-arm64: deps
	@cmake -S userspace -B $(BUILD)/userspace-arm64 -DCMAKE_BUILD_TYPE=Release \
		-DCMAKE_TOOLCHAIN_FILE=$(CURDIR)/userspace/cmake/aarch64-linux-gnu.cmake >/dev/null
	@cmake --build $(BUILD)/userspace-arm64 -j$$(nproc)

# ARCH=x86_64|arm64|all; all unless ARCH is given on the command line.
VMBENCH_ARCH = $(if $(filter command line,$(origin ARCH)),$(ARCH),all)
vm-bench: userspace
	@case $(VMBENCH_ARCH) in all|x86_64|amd64) $(MAKE) --no-print-directory module ARCH=x86_64 ;; esac
	@case $(VMBENCH_ARCH) in all|arm64|aarch64) $(MAKE) --no-print-directory module userspace-arm64 ARCH=arm64 ;; esac
	@scripts/vm-bench --arch $(VMBENCH_ARCH) --kseries $(KSERIES) $(if $(BOOTS),--boots $(BOOTS)) \
		$(if $(MACRO_BOOTS),--macro-boots $(MACRO_BOOTS)) $(if $(MACRO_ARCH),--macro-arch $(MACRO_ARCH)) \
		$(if $(UNTIL_CI),--until-ci $(UNTIL_CI)) $(if $(MAP),--map $(MAP)) $(if $(NUMA),--numa $(NUMA))

# The running kernel, no VM: scripts/bench builds and loads the module
# itself when this kernel allows it.
BENCH_ARGS ?=
bench: userspace
	@scripts/bench $(BENCH_ARGS)

# The dashboard: one or more run directories (several need OUT=DIR),
# optionally compared with BASELINE=<run dir>. The ptilab program gives the
# confidence intervals (ptilab compare), so build it first.
RUNS ?= results/latest
OUT ?=
BASELINE ?=

report: userspace
	@scripts/report $(if $(OUT),--out $(OUT)) $(if $(BASELINE),--baseline $(BASELINE)) \
		--ptilab $(BUILD)/userspace/ptilab $(RUNS)

# The Debian packages (scripts/deb): this machine's architecture unless
# DEB_ARCH lists others (arm64 is cross-built).
DEB_ARCH ?=
deb: deps
	@scripts/deb $(foreach a,$(DEB_ARCH),--arch $(a))

# The VM tests boot every series in TEST_KSERIES, so build a module for each.
TEST_KSERIES ?= 6.1 6.12
# 1: also the arm64 Debian guest (its image, the in-guest module build on
# each series, the macro tier): about 18 more minutes cold.
TEST_DEBIAN_ARM64 ?= 0

test: userspace userspace-arm64
	@for s in $(TEST_KSERIES); do \
		$(MAKE) --no-print-directory module KSERIES=$$s ARCH=x86_64 || exit 1; \
		$(MAKE) --no-print-directory module KSERIES=$$s ARCH=arm64 || exit 1; \
	done
	@cmake -S userspace -B $(BUILD)/userspace -DPTILAB_KSERIES="$(subst $(space),;,$(strip $(TEST_KSERIES)))" \
		-DPTILAB_TEST_DEBIAN_ARM64=$(if $(filter 1,$(TEST_DEBIAN_ARM64)),ON,OFF) >/dev/null
	@ctest --test-dir $(BUILD)/userspace --output-on-failure || { \
		echo "make test: why the failed tests failed (from $(BUILD)/userspace/Testing/Temporary/LastTest.log):"; \
		grep -hE '^not ok [0-9]+ - |^Bail out! |^(vm-test[a-z-]*|deb-test): |^vm: .*(timed out|failed|panic|status [1-9])|^\[  FAILED  \]|^(FAIL|ERROR): ' \
			$(BUILD)/userspace/Testing/Temporary/LastTest.log | grep -v 'falling back to TCG' | tail -n 40; \
		exit 1; }

lint: deps
	@scripts/lint

clean:
	rm -rf $(BUILD)
