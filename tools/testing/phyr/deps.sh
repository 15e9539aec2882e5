#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Install what phyr's build, VM and tests need on Debian 12 (idempotent:
# apt-get runs only when a package is missing).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

pkgs=(
	linux-source-6.12 build-essential git flex bison bc libelf-dev libssl-dev
	cpio kmod rsync ccache python3 qemu-system-x86 busybox-static
	util-linux procps libdrm-dev pkg-config intel-gpu-tools libgbm-dev
	libgl1-mesa-dri valgrind rdma-core ibverbs-utils ibverbs-providers
	libibverbs-dev iproute2 gnuplot-nox patch python3-sphinx
	python3-sphinx-rtd-theme python3-yaml graphviz
)

phyr_install_packages "${pkgs[@]}"
