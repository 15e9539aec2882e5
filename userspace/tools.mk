# SPDX-License-Identifier: GPL-2.0-only
#
# libphyr and phyrctl, included by userspace/Makefile:
#   build/libphyr.a   the library over libdrm (lib/: libphyr.h, the device
#                     API; libphyr_uapi.h, the ioctls one by one; the
#                     parts that need only libc: process memory and files,
#                     test cases in child processes)
#   build/phyrctl     the command-line tool (phyrctl/), with GBM when
#                     pkg-config finds gbm (libgbm-dev), else without the
#                     gbm-import command (it then exits 3 and says so)
#   build/phyrctl-asan  the same, library included, built with
#                     AddressSanitizer (leaks included) and UBSan: what the
#                     CLI suite runs where it does not use valgrind
#
# Uses SRC, OUT, PKG_CONFIG, DRM, CFLAGS and CPPFLAGS of userspace/Makefile
# when they are set.

SRC ?= $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
OUT ?= $(SRC)/build
PKG_CONFIG ?= pkg-config
DRM ?= $(shell $(PKG_CONFIG) --cflags --libs libdrm 2>/dev/null)
CFLAGS ?= -O2 -g -Wall -Wextra -Werror

PHYR_GBM := $(shell $(PKG_CONFIG) --cflags --libs gbm 2>/dev/null)
PHYR_CFLAGS := -std=gnu11 $(filter-out -Wall -Wextra -Werror,$(CFLAGS)) -Wall -Wextra -Werror
PHYR_CPPFLAGS := -I$(SRC)/../include/uapi/drm -I$(SRC)/lib \
	$(if $(PHYR_GBM),,-DPHYRCTL_NO_GBM)

PHYR_LIB_PARTS := libphyr libphyr_uapi libphyr_proc libphyr_case
PHYR_LIB_SRCS := $(PHYR_LIB_PARTS:%=$(SRC)/lib/%.c)
PHYR_LIB_OBJS := $(PHYR_LIB_PARTS:%=$(OUT)/obj/%.o)
PHYR_LIB_HDRS := $(SRC)/lib/libphyr.h $(SRC)/lib/libphyr_uapi.h \
	$(SRC)/lib/libphyr_priv.h $(SRC)/../include/uapi/drm/vphyr_drm.h
PHYRCTL_SRCS := $(addprefix $(SRC)/phyrctl/,phyrctl.c objects.c bench.c \
	gbm.c tour.c)
PHYRCTL_HDRS := $(SRC)/phyrctl/phyrctl.h $(PHYR_LIB_HDRS)

.PHONY: tools

all: tools
tools: $(OUT)/libphyr.a $(OUT)/phyrctl $(OUT)/phyrctl-asan

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

$(OUT)/phyrctl: $(PHYRCTL_SRCS) $(PHYRCTL_HDRS) $(OUT)/libphyr.a $(SRC)/tools.mk
	@if [ -z "$(PHYR_GBM)" ]; then \
		echo "phyrctl: gbm not found by $(PKG_CONFIG): building without gbm-import (install libgbm-dev)" >&2; \
	fi
	$(CC) $(PHYR_CPPFLAGS) $(PHYR_CFLAGS) -o $@ $(PHYRCTL_SRCS) \
		$(OUT)/libphyr.a $(PHYR_GBM) $(DRM) $(LDFLAGS)

PHYR_SANITIZE := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer

$(OUT)/phyrctl-asan: $(PHYRCTL_SRCS) $(PHYRCTL_HDRS) $(PHYR_LIB_SRCS) $(SRC)/tools.mk
	@mkdir -p $(OUT)
	$(CC) $(PHYR_CPPFLAGS) $(PHYR_CFLAGS) $(PHYR_SANITIZE) -o $@ \
		$(PHYRCTL_SRCS) $(PHYR_LIB_SRCS) $(PHYR_GBM) $(DRM) $(LDFLAGS)
