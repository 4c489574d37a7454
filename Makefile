# SPDX-License-Identifier: GPL-2.0
# Tern: top-level targets. The module itself builds with Kbuild:
#   make -C $KDIR M=$PWD
#
#   make              tern.ko for the stock 6.12 kernel, userspace, selftests
#   make check        deps, build, boot the kernel in the VM, run the selftests
#   make demo         deps, build, show Tern between two network namespaces
#   make install      userspace (libtern, tools, man pages) into
#                     $(DESTDIR)$(PREFIX), PREFIX=/usr/local (the module: dkms)
#   make lint         checkpatch --strict, sparse (C=2), W=1, 6.1 compile
#   make dkms-check   dkms.conf: dkms build and install (in a temporary tree)
#                     for the 6.12 and 6.1 headers
#   make bench        deps, build, Tern against TCP and SCTP in the VM:
#                     bench/results.md and charts (BENCH_RUNS, BENCH_TIME,
#                     BENCH_SCENARIOS); make bench-smoke: a 1-second run
#   make vm-shell     an interactive shell in the VM
#   make deps         install what is missing (apt-get)
#   make clean
#
# KERNEL=stock (default), debug, or a bzImage path (with KDIR= its tree).
# VM=0 runs the suite on the running kernel instead of in the VM.
# T="socket_test netns_test.sh" runs only those programs.

KERNEL ?= stock
VM ?= 1
T ?=
export KDIR VM

KSFT_DIR = $(shell vm/src-tree.sh)/tools/testing/selftests

ifeq ($(KERNEL),stock)
KMOD_FLAVOR := stock
else ifeq ($(KERNEL),debug)
KMOD_FLAVOR := debug
else
KMOD_FLAVOR := custom
endif

all: module selftests userspace

module:
	@vm/kmod.sh $(if $(filter 0,$(VM)),running,$(KMOD_FLAVOR)) >/dev/null

selftests:
	@$(MAKE) -s -C selftests KSFT_DIR=$(KSFT_DIR)

userspace:
	@$(MAKE) -s -C userspace

deps:
	@vm/deps.sh

check: deps
	@$(MAKE) -s selftests userspace
	@vm/check.sh $(KERNEL) $(T)

demo: deps
	@$(MAKE) -s selftests userspace
	@vm/demo.sh $(KERNEL)

bench: deps
	@$(MAKE) -s userspace
	@bench/run.sh $(KERNEL)

bench-smoke: deps
	@$(MAKE) -s userspace
	@bench/run.sh --smoke $(KERNEL)

vm-shell: deps
	@vm/run.sh -k $(KERNEL) -i

lint: deps
	@vm/lint.sh

install:
	@$(MAKE) -s -C userspace install

dkms-check: deps
	@vm/dkms.sh

clean:
	rm -rf build
	rm -f module/*.o module/.*.cmd .*.cmd *.o *.ko *.mod *.mod.c \
		Module.symvers modules.order .module-common.o
	@$(MAKE) -s -C userspace clean

.PHONY: all module selftests userspace deps check demo vm-shell lint clean
.PHONY: install dkms-check
.PHONY: bench bench-smoke
