#!/usr/bin/env bash
# Installs the Debian packages stickboot needs that are missing. Idempotent: prints
# "deps: all present" and does nothing when everything is there. Debian 12 only; apt-get only.
set -euo pipefail

packages=(
    make gcc libc6-dev binutils-arm-none-eabi gcc-arm-none-eabi
    libunicorn-dev libelf-dev libssl-dev openssl pkg-config
    clang clang-format libclang-rt-14-dev
    srecord dosfstools mtools exfatprogs fdisk python3
    gnuplot-nox cmake
    # make windows and the wine tests: ~27 s to install on Debian 12 (measured), ~650 MB
    gcc-mingw-w64-x86-64 wine64
)

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "deps: all present"
    exit 0
fi

echo "deps: installing ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
    run=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    run=(sudo)
else
    echo "deps: need root to install packages. Run:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# Refresh the package lists once when they are absent or older than a day.
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages' -mtime -1 2>/dev/null | head -n 1)" ]; then
    "${run[@]}" apt-get update -qq
fi
"${run[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "deps: installed ${missing[*]}"
