# SPDX-License-Identifier: GPL-2.0-only
#
# phyr: the two commands a newcomer needs.
#   make run    build the kernel with phyr, boot it in QEMU, run the demo
#   make test   build, boot, run every suite; last line "N passed, N failed, N skipped"
#   make bench  phyr vs. scatterlist mapping benchmark (kernel without debug options)
#   make fuzz   random vphyr call sequences in one VM: CALLS=N (20000), SEED=S, SECONDS=N, SKIP=KINDS
#   make kunit  the KUnit suites with the kernel's kunit.py: UML, then x86_64 in QEMU
#   make check  kernel style: checkpatch --strict and kernel-doc on every kernel file
#   make docs   the documentation as HTML with the kernel's Sphinx setup; fails on any warning
#   make patches        the series as git format-patch files with a cover letter, checkpatch'ed
#   make patches-check  build after every patch of the series, checkpatch, KUnit on the last
#   make clean  drop the userspace and IGT builds and the VM results
#   make distclean  also the kernel trees, builds and ccache under ~/.cache/phyr
# run, test, bench and docs install their own Debian packages on first use.

T := tools/testing/phyr

.PHONY: run test bench fuzz deps kernel kunit check docs patches patches-check clean distclean help

help:
	@sed -n 's/^#   //p' Makefile

run:
	@$(T)/run.sh demo

test:
	@$(T)/run.sh test

bench:
	@$(T)/run.sh bench

# CALLS=N calls (default 20000), SEED=S (default: the date), SECONDS=N
# at most (CALLS then defaults to as many as fit), SKIP=KIND,... call
# kinds to leave out (default: those known to be broken; SKIP= runs all)
fuzz:
	@PHYR_FUZZ_CALLS='$(CALLS)' PHYR_FUZZ_SEED='$(SEED)' \
		PHYR_FUZZ_SECONDS='$(SECONDS)' \
		$(if $(filter undefined,$(origin SKIP)),,PHYR_FUZZ_SKIP='$(SKIP)') \
		$(T)/run.sh fuzz

deps:
	@$(T)/deps.sh

kernel: deps
	@$(T)/build-kernel.sh

# ARCH=um or ARCH=x86_64 on the command line runs one of the two
# (default: both; an ARCH in the environment is not looked at)
kunit:
	@$(T)/kunit.sh $(if $(filter command line,$(origin ARCH)),$(ARCH))

check:
	@$(T)/kcheck.sh

docs:
	@$(T)/docs.sh

patches:
	@$(T)/patches.sh

patches-check:
	@$(T)/patches-check.sh

# clean: the userspace and IGT builds in the clone and the VM results.
# distclean: also the kernel sources, kernel builds, ccache and style
# checkers under $PHYR_CACHE (shared by every clone of the same user).
clean:
	@bash -c '. $(T)/lib.sh && phyr_clean'

distclean:
	@bash -c '. $(T)/lib.sh && phyr_distclean'
