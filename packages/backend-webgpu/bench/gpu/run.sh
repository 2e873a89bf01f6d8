#!/usr/bin/env bash
# Runs on the GPU machine (no Node.js, no network), from the repository root of the carried tree, with
# `.device/` from pack.mjs and `.gl/` (Vulkan loader .debs) carried. Writes under $OUT: env.txt, checks.log
# + checks.json (every fixture and the conformance suite on the GPU), bench.log + deberta-base-webgpu.json
# (batch 1 and 32 x 128, f32 and f16, next to onnxruntime-node's WebGPU execution provider).
# `.gl/`, once, on any machine with Debian's apt (the device README's recipe):
#   mkdir -p .gl /tmp/amd64/partial; o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
#   apt-get $o update; (cd .gl && apt-get $o download libvulkan1)
set -u
OUT="${OUT:-/tmp/deberta-gpu-out}"
WORK="${DEBERTA_GPU_WORK:-/tmp/deberta-gpu}"
NODE="${NODE_BIN:-$WORK/node}"
mkdir -p "$OUT" "$WORK"
exec > >(tee "$OUT/run.log") 2>&1

if ! ldconfig -p | grep -q libvulkan.so.1; then
  for f in .gl/*.deb; do [ -e "$f" ] && dpkg -x "$f" /; done
  ldconfig
fi
for icd in /usr/share/vulkan/icd.d/nvidia_icd*.json /etc/vulkan/icd.d/nvidia_icd*.json \
  /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd*.json; do
  if [ -e "$icd" ]; then export VK_DRIVER_FILES="$icd" VK_ICD_FILENAMES="$icd"; break; fi
done
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$WORK/xdg}"
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"

[ -x "$NODE" ] || { xz -dc .device/node.xz > "$NODE" && chmod +x "$NODE"; }
tar -C "$WORK" -xJf .device/node_modules.tar.xz
tar -C "$WORK" -xJf .device/shared.tar.xz
cp .device/checks.mjs .device/bench.mjs "$WORK/"

{
  date -u
  nvidia-smi 2>&1 | head -15
  echo "VK_DRIVER_FILES=${VK_DRIVER_FILES:-unset}"
  ldconfig -p | grep libvulkan
  "$NODE" --version
} > "$OUT/env.txt" 2>&1
cat "$OUT/env.txt"

export DEBERTA_SHARED="$WORK/shared" DEBERTA_FIXTURES="$WORK/shared/fixtures" DEBERTA_BENCH_OUT="$OUT" DEBERTA_SYNTHETIC_DIR="$WORK/synthetic"
cd "$WORK" || exit 1
timeout 180 "$NODE" checks.mjs 2>&1 | tee "$OUT/checks.log"
DEBERTA_BENCH_BATCHES="${DEBERTA_BENCH_BATCHES:-1,32}" timeout 300 "$NODE" bench.mjs 2>&1 | tee "$OUT/bench.log"
ls -la "$OUT"
