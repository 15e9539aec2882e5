# SPDX-License-Identifier: GPL-2.0-only
#
# libphyr and phyrctl, included by userspace/Makefile:
#   build/libphyr.a   the library over libdrm (lib/: libphyr.h, devices and
#                     buffer objects; libphyr_uapi.h, the ioctls one by
#                     one), what the programs here link
#   build/libphyr_test.a  what the tests need beyond it, only libc
#                     (libphyr_test.h: test patterns, process memory and
#                     files, PCI bind/unbind and /proc/iomem, test cases
#                     in child processes); not installed
#   build/libphyr.so.2  libphyr.a as a shared library (soname libphyr.so.2,
#                     build/libphyr.so links to it) exporting only the
#                     functions of libphyr.h (lib/libphyr.map)
#   build/libphyr.pc  its pkg-config file, for PREFIX
#   build/phyrctl     the command-line tool (phyrctl/), with GBM when
#                     pkg-config finds gbm (libgbm-dev), else without the
#                     gbm-import command (it then exits 3 and says so)
#   build/phyrctl-asan  the same, library included, built with
#                     AddressSanitizer (leaks included) and UBSan: what the
#                     CLI suite runs where it does not use valgrind
#
# Uses SRC, OUT, PKG_CONFIG, DRM, CFLAGS and CPPFLAGS of userspace/Makefile
# when they are set.
#
#   make install      install the shared library, libphyr.h, libphyr.pc and
#                     phyrctl under PREFIX (default /usr/local: lib/,
#                     include/, lib/pkgconfig/, bin/), below DESTDIR if set

SRC ?= $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
OUT ?= $(SRC)/build
PKG_CONFIG ?= pkg-config
DRM ?= $(shell $(PKG_CONFIG) --cflags --libs libdrm 2>/dev/null)
CFLAGS ?= -O2 -g -Wall -Wextra -Werror

PHYR_GBM := $(shell $(PKG_CONFIG) --cflags --libs gbm 2>/dev/null)
PHYR_CFLAGS := -std=gnu11 $(filter-out -Wall -Wextra -Werror,$(CFLAGS)) -Wall -Wextra -Werror
PHYR_VERSION := 2.0.0
PHYR_CPPFLAGS := -I$(SRC)/../include/uapi/drm -I$(SRC)/lib \
	-DPHYR_VERSION=\"$(PHYR_VERSION)\" \
	$(if $(PHYR_GBM),,-DPHYRCTL_NO_GBM)

PHYR_LIB_PARTS := libphyr libphyr_bo libphyr_uapi
PHYR_TEST_PARTS := libphyr_proc libphyr_pci libphyr_case libphyr_uapi_test
PHYR_LIB_SRCS := $(PHYR_LIB_PARTS:%=$(SRC)/lib/%.c) \
	$(PHYR_TEST_PARTS:%=$(SRC)/lib/%.c)
PHYR_LIB_OBJS := $(PHYR_LIB_PARTS:%=$(OUT)/obj/%.o)
PHYR_TEST_OBJS := $(PHYR_TEST_PARTS:%=$(OUT)/obj/%.o)
PHYR_LIB_HDRS := $(SRC)/lib/libphyr.h $(SRC)/lib/libphyr_uapi.h \
	$(SRC)/lib/libphyr_priv.h $(SRC)/lib/libphyr_test.h \
	$(SRC)/../include/uapi/drm/vphyr_drm.h
# what the programs here link, in this order
PHYR_LIBS := $(OUT)/libphyr_test.a $(OUT)/libphyr.a
PHYR_LIB_PICS := $(PHYR_LIB_PARTS:%=$(OUT)/obj-pic/%.o)
PHYR_SONAME := libphyr.so.2

PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
BINDIR ?= $(PREFIX)/bin
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
INSTALL ?= install

PHYRCTL_SRCS := $(addprefix $(SRC)/phyrctl/,phyrctl.c json.c objects.c bench.c \
	gbm.c tour.c progress.c)
PHYRCTL_HDRS := $(SRC)/phyrctl/phyrctl.h $(PHYR_LIB_HDRS)

.PHONY: tools install FORCE

all: tools
tools: $(PHYR_LIBS) $(OUT)/libphyr.so $(OUT)/libphyr.pc $(OUT)/phyrctl \
	$(OUT)/phyrctl-asan

$(OUT)/obj/%.o: $(SRC)/lib/%.c $(PHYR_LIB_HDRS) $(SRC)/tools.mk
	@if [ -z "$(DRM)" ]; then \
		echo "libdrm not found by $(PKG_CONFIG): install libdrm-dev and pkg-config" >&2; \
		exit 1; \
	fi
	@mkdir -p $(OUT)/obj
	$(CC) $(PHYR_CPPFLAGS) $(PHYR_CFLAGS) $(filter -I%,$(DRM)) -c -o $@ $<

$(OUT)/libphyr.a: $(PHYR_LIB_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

$(OUT)/libphyr_test.a: $(PHYR_TEST_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

# position-independent; the version script decides what is exported
$(OUT)/obj-pic/%.o: $(SRC)/lib/%.c $(PHYR_LIB_HDRS) $(SRC)/tools.mk
	@mkdir -p $(OUT)/obj-pic
	$(CC) $(PHYR_CPPFLAGS) $(PHYR_CFLAGS) -fPIC \
		$(filter -I%,$(DRM)) -c -o $@ $<

$(OUT)/$(PHYR_SONAME): $(PHYR_LIB_PICS) $(SRC)/lib/libphyr.map
	$(CC) $(PHYR_CFLAGS) -shared -Wl,-soname,$(PHYR_SONAME) \
		-Wl,--version-script,$(SRC)/lib/libphyr.map -Wl,--no-undefined \
		-o $@ $(PHYR_LIB_PICS) $(filter-out -I%,$(DRM)) $(LDFLAGS)

$(OUT)/libphyr.so: $(OUT)/$(PHYR_SONAME)
	ln -sf $(PHYR_SONAME) $@

PHYR_PC_SED := sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
	-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' -e 's|@VERSION@|$(PHYR_VERSION)|g'

# rewritten when PREFIX or LIBDIR change
$(OUT)/libphyr.pc: $(SRC)/lib/libphyr.pc.in FORCE
	@mkdir -p $(OUT)
	@$(PHYR_PC_SED) $< >$@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

# the .pc file for the PREFIX of this command, whatever build/ holds
install: $(OUT)/libphyr.so $(OUT)/phyrctl
	$(INSTALL) -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) \
		$(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(BINDIR)
	$(INSTALL) -m 755 $(OUT)/$(PHYR_SONAME) $(DESTDIR)$(LIBDIR)/$(PHYR_SONAME)
	ln -sf $(PHYR_SONAME) $(DESTDIR)$(LIBDIR)/libphyr.so
	$(INSTALL) -m 644 $(SRC)/lib/libphyr.h $(DESTDIR)$(INCLUDEDIR)/libphyr.h
	$(PHYR_PC_SED) $(SRC)/lib/libphyr.pc.in >$(DESTDIR)$(PKGCONFIGDIR)/libphyr.pc
	chmod 644 $(DESTDIR)$(PKGCONFIGDIR)/libphyr.pc
	$(INSTALL) -m 755 $(OUT)/phyrctl $(DESTDIR)$(BINDIR)/phyrctl

$(OUT)/phyrctl: $(PHYRCTL_SRCS) $(PHYRCTL_HDRS) $(PHYR_LIBS) $(SRC)/tools.mk
	@if [ -z "$(PHYR_GBM)" ]; then \
		echo "phyrctl: gbm not found by $(PKG_CONFIG): building without gbm-import (install libgbm-dev)" >&2; \
	fi
	$(CC) $(PHYR_CPPFLAGS) $(PHYR_CFLAGS) -o $@ $(PHYRCTL_SRCS) \
		$(PHYR_LIBS) $(PHYR_GBM) $(DRM) $(LDFLAGS)

PHYR_SANITIZE := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer

$(OUT)/phyrctl-asan: $(PHYRCTL_SRCS) $(PHYRCTL_HDRS) $(PHYR_LIB_SRCS) $(SRC)/tools.mk
	@mkdir -p $(OUT)
	$(CC) $(PHYR_CPPFLAGS) $(PHYR_CFLAGS) $(PHYR_SANITIZE) -o $@ \
		$(PHYRCTL_SRCS) $(PHYR_LIB_SRCS) $(PHYR_GBM) $(DRM) $(LDFLAGS)
