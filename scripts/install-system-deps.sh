#!/usr/bin/env bash
# Installs the Debian packages the tests drive: the Azure CLI, its Azure DevOps extension, Chromium (browser tests),
# bubblewrap (the sandbox pipeline steps run in) and PostgreSQL (the suite runs on it too; its cluster is not started).
# Skips (with a message) where they are already present or where apt is not available.
set -euo pipefail
packages=(azure-cli python3-azext-devops chromium bubblewrap postgresql)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages present: ${packages[*]}"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "apt-get not found: skipping ${missing[*]} (the Azure CLI conformance tests will be skipped)"
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "not root and no sudo: skipping ${missing[*]} (the Azure CLI conformance tests will be skipped)"
    exit 0
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q || echo "apt-get update failed; trying the package lists already present"
$sudo apt-get install -y -q "${missing[@]}"
