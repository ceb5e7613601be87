#!/bin/sh
# Installs the Debian packages litmine needs to build, test and benchmark,
# and nothing when they are all present.  Called by `make check` and
# `make demo`; safe to run by hand.  Uses sudo when not root.
set -eu

# clang and its runtime libraries (on Debian 12, clang-14 and
# libclang-rt-14-dev): the second compiler of `make check` and libFuzzer;
# strace and systemd (systemd-analyze): the unit's sandbox check;
# groff-base: the man page must render without warnings;
# snakemake: the cluster workflow (workflow/Snakefile) is tested with it.
PACKAGES="gcc make pkg-config libc6-dev libcurl4-openssl-dev libxml2-dev \
libsqlite3-dev sqlite3 libopenblas-dev liblapacke-dev zlib1g-dev libxxhash-dev python3 \
clang libclang-rt-dev strace systemd groff-base snakemake"

# PyTorch (about 1 GB installed) only on request: it regenerates the encoder
# parity fixtures, runs the BERT-base shaped parity test (skipped without
# it) and the PyTorch side of `make bench`; the committed fixtures make the
# rest of `make check` independent of it.
if [ "${LITMINE_DEPS_TORCH:-0}" = 1 ]; then
    PACKAGES="$PACKAGES python3-torch python3-numpy python3-regex"
fi

missing=""
for p in $PACKAGES; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$status" in
        *"install ok installed"*) ;;
        *) missing="$missing $p" ;;
    esac
done

[ -z "$missing" ] && exit 0

echo "install-deps: installing:$missing" >&2
if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "install-deps: need root (or sudo) to install:$missing" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
