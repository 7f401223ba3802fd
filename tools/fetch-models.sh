#!/usr/bin/env bash
# fetch-models.sh - fetches bex's face model weights from the npm registry into models/.
#
# The weights are those shipped by @vladmandic/face-api (MIT) under model/: tfjs manifests
# plus .bin files for the SSD MobileNetV1 detector, the 68-point landmark net and dlib's
# face recognition ResNet. The version is pinned and each file is checked against
# tools/models.sha256; nothing is written to models/ unless every file checks out.
#
# usage: tools/fetch-models.sh [DEST]   (DEST defaults to models/ at the repository root)
set -euo pipefail

PKG="@vladmandic/face-api@1.7.15"
root=$(cd "$(dirname "$0")/.." && pwd)
dest=${1:-$root/models}
sums="$root/tools/models.sha256"

if [ -d "$dest" ] && (cd "$dest" && sha256sum --quiet -c "$sums" >/dev/null 2>&1); then
    echo "models: already present and verified in $dest"
    exit 0
fi

command -v npm >/dev/null || { echo "fetch-models: npm is not installed; install Node.js and npm (apt-get install npm) and run again" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "models: fetching $PKG from the npm registry"
if ! (cd "$tmp" && npm pack --silent "$PKG" >pack.log 2>&1); then
    echo "fetch-models: could not download $PKG from the npm registry." >&2
    echo "  Check the network or the registry setting (npm config get registry), then run again." >&2
    sed 's/^/  npm: /' "$tmp/pack.log" | tail -5 >&2
    exit 1
fi
tar -xzf "$tmp"/vladmandic-face-api-*.tgz -C "$tmp"
mkdir -p "$tmp/out"
while read -r sum name; do
    cp "$tmp/package/model/$name" "$tmp/out/$name"
done <"$sums"
if ! (cd "$tmp/out" && sha256sum --quiet -c "$sums"); then
    echo "fetch-models: a model file does not match its pinned sha256 (tools/models.sha256); refusing to install it." >&2
    exit 1
fi
mkdir -p "$dest"
cp "$tmp"/out/* "$dest"/
echo "models: installed and verified in $dest"
