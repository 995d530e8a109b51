#!/usr/bin/env bash
# Installs the Debian packages the tests and `npm start` need, once; a no-op when all are present.
# Usage: scripts/setup-deps.sh [test|start]   (default: test)
set -euo pipefail
what=${1:-test}

start_pkgs=(chromium libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev pkg-config ripgrep)
test_pkgs=("${start_pkgs[@]}"
  build-essential clang lld procps mawk jc time gdb default-jre-headless
  libjemalloc2 libtcmalloc-minimal4 libmimalloc2.0
  openssh-server openssh-client mariadb-server sudo fonts-dejavu-core
  golang-go musl-tools libjemalloc-dev gcc-multilib libc6-dev-i386 libjemalloc2:i386
  redis-server redis-tools postgresql util-linux binutils systemd git
  prometheus prometheus-node-exporter)

if [ "$what" = start ]; then pkgs=("${start_pkgs[@]}"); else pkgs=("${test_pkgs[@]}"); fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO=(sudo -n)
  else
    echo "vma-lens: missing Debian packages: ${missing[*]}" >&2
    echo "vma-lens: run as root: apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi
echo "vma-lens: installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# i386 packages (the 32-bit test program's jemalloc) need the architecture enabled first.
if [[ " ${missing[*]}" == *:i386* ]] && ! dpkg --print-foreign-architectures | grep -qx i386; then
  "${SUDO[@]}" dpkg --add-architecture i386
fi
"${SUDO[@]}" apt-get update -q >/dev/null
# Tests start their own mariadbd and sshd in temporary directories; a system service that the
# package may start does not get in their way.
"${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
