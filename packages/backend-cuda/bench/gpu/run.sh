#!/usr/bin/env bash
# Runs on the GPU machine (no Node.js, no network), from the repository root of the carried tree, with
# `.device-cuda/` from pack.mjs carried. Writes the synthetic DeBERTa-base checkpoint on the machine's disk
# (../shared/tools/make-synthetic-base.mjs, carried; 531 MiB of weights plus their ONNX copy) and under $OUT:
# run.log, env.txt (date, nvidia-smi, driver and library facts), checks.log + checks.json (the bundled CLI's
# `deberta run ... --device 0` on the demo model and `deberta env`, the probe, conformance and every fixture
# checkpoint on "cuda" with cuBLASLt and with the kernel GEMM, the synthetic base against the CPU backend's
# native engine, the out-of-memory check). Each step has a timeout and the script goes on after a failure;
# the last line is the summary. Without a driver it reports that and exits 2.
set -u
OUT="${OUT:-/tmp/deberta-cuda-out}"
WORK="${DEBERTA_GPU_WORK:-/tmp/deberta-cuda}"
NODE="${NODE_BIN:-$WORK/node}"
PACK="${DEBERTA_CUDA_PACK:-.device-cuda}"
REPO="$(pwd)"
mkdir -p "$OUT" "$WORK"
exec > >(tee "$OUT/run.log") 2>&1

if [ ! -d "$PACK" ]; then echo "run.sh: $PACK is missing (run node packages/backend-cuda/bench/gpu/pack.mjs and carry it)"; exit 1; fi
[ -x "$NODE" ] || { xz -dc "$PACK/node.xz" > "$NODE" && chmod +x "$NODE"; } || { echo "run.sh: cannot unpack node"; exit 1; }
rm -rf "$WORK/shared" && tar -C "$WORK" -xJf "$PACK/shared.tar.xz"
cp "$PACK/checks.mjs" "$PACK/deberta-cli.mjs" "$PACK/deberta_cuda.node" "$PACK/deberta_cpu.node" "$WORK/"

{
  echo "date: $(date -u)"
  echo "node: $("$NODE" --version 2>&1)"
  echo "--- nvidia-smi"
  timeout 30 nvidia-smi 2>&1 | head -25 || echo "nvidia-smi: not available"
  timeout 30 nvidia-smi --query-gpu=name,compute_cap,memory.total,driver_version --format=csv 2>&1 || true
  echo "--- driver"
  cat /proc/driver/nvidia/version 2>/dev/null || echo "/proc/driver/nvidia/version: absent"
  ldconfig -p 2>/dev/null | grep -E "libcuda\.so|libcublasLt" || echo "ldconfig: no libcuda / libcublasLt"
  echo "LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}"
  echo "CUDA_HOME=${CUDA_HOME:-} CUDA_PATH=${CUDA_PATH:-}"
  ls -d /usr/local/cuda*/lib64 2>/dev/null
  timeout 20 python3 -c "import site; print('site-packages:', site.getsitepackages())" 2>&1 || echo "python3: absent"
} > "$OUT/env.txt" 2>&1
cat "$OUT/env.txt"

SYNTHETIC="$WORK/synthetic-base"
if [ "${DEBERTA_CUDA_SKIP_SYNTHETIC:-}" != 1 ] && [ ! -f "$SYNTHETIC/model.safetensors" ]; then
  echo "--- make-synthetic-base.mjs $SYNTHETIC"
  rm -rf "$SYNTHETIC"
  timeout "${DEBERTA_SYNTHETIC_TIMEOUT:-240}" "$NODE" "$WORK/shared/tools/make-synthetic-base.mjs" "$SYNTHETIC" 2>&1 \
    || { echo "run.sh: make-synthetic-base.mjs failed or timed out (status $?)"; rm -rf "$SYNTHETIC"; }
fi

export DEBERTA_FIXTURES="$WORK/shared/fixtures" DEBERTA_BENCH_OUT="$OUT" DEBERTA_CUDA_NATIVE_PATH="$WORK/deberta_cuda.node"
export DEBERTA_CPU_NATIVE_PATH="$WORK/deberta_cpu.node" DEBERTA_CLI="$WORK/deberta-cli.mjs"
export DEBERTA_DEMO_MODEL="$REPO/examples/demo-model" DEBERTA_SYNTHETIC_DIR="$SYNTHETIC"
cd "$WORK" || exit 1
timeout "${DEBERTA_CHECKS_TIMEOUT:-420}" "$NODE" checks.mjs 2>&1 | tee "$OUT/checks.log"
status=${PIPESTATUS[0]}
[ "$status" = 124 ] && echo "run.sh: checks.mjs timed out (checks.json holds what finished)"
ls -la "$OUT"
echo "run.sh: checks exit status $status"
(cd "$OLDPWD" && export DEBERTA_GPU_WORK="$WORK" && timeout "${DEBERTA_BENCH_TIMEOUT:-300}" "$NODE" "$PACK/bench.mjs" 2>&1 | tee "$OUT/bench.log"; DEBERTA_BENCH_OUT="$OUT" timeout "${DEBERTA_TORCH_TIMEOUT:-300}" "${DEBERTA_PYTHON:-/opt/torch/.venv/bin/python3}" packages/backend-cuda/bench/gpu/bench.py 2>&1 | tee "$OUT/bench-torch.log")
exit "$status"
