#include "commands.h"

#include <cstring>

#include "loader.h"

namespace dcu {

namespace {

constexpr size_t kLaunchHeader = 48;
constexpr size_t kBlasLtSize = 8 + 18 * 8;
constexpr size_t kMemsetSize = 32;
constexpr size_t kCopySize = 32;

uint32_t u32(const uint8_t* p, size_t at) {
  uint32_t v;
  std::memcpy(&v, p + at, sizeof v);
  return v;
}

double f64(const uint8_t* p, size_t at) {
  double v;
  std::memcpy(&v, p + at, sizeof v);
  return v;
}

int fail(Context* c, size_t index, int status) {
  c->lastFailedCommand = index;
  return status;
}

/** Issues the (validated) commands in order on the context's stream; stops at the first failure. */
int runCommands(Context* c, const uint8_t* data, size_t bytes) {
  size_t at = 0;
  for (size_t index = 0; at < bytes; index++) {
    const uint8_t* cmd = data + at;
    const uint32_t op = u32(cmd, 0);
    const uint32_t size = u32(cmd, 4);
    int status = 0;
    switch (op) {
      case CMD_LAUNCH: {
        CUfunction fn = c->functions[u32(cmd, 8)];
        size_t paramBytes = u32(cmd, 40);
        void* params = const_cast<uint8_t*>(cmd + kLaunchHeader);
        // The buffer ends exactly at the last parameter (a padded buffer is refused: src/params.ts).
        void* extra[] = {DCU_LAUNCH_PARAM_BUFFER_POINTER, params, DCU_LAUNCH_PARAM_BUFFER_SIZE, &paramBytes,
                         DCU_LAUNCH_PARAM_END};
        status = cuLaunchKernel(fn, u32(cmd, 12), u32(cmd, 16), u32(cmd, 20), u32(cmd, 24), u32(cmd, 28),
                                u32(cmd, 32), u32(cmd, 36), c->stream, nullptr,
                                paramBytes > 0 ? extra : nullptr);
        break;
      }
      case CMD_BLASLT: {
        auto v = [cmd](int i) { return static_cast<long long>(f64(cmd, 8 + 8 * i)); };
        status = blasLtMatmul(c, static_cast<int>(v(0)), static_cast<int>(v(1)), v(2), v(3), v(4),
                              static_cast<CUdeviceptr>(v(5)), v(6), v(7), static_cast<CUdeviceptr>(v(8)), v(9),
                              v(10), static_cast<CUdeviceptr>(v(11)), v(12), v(13), static_cast<int>(v(14)),
                              static_cast<CUdeviceptr>(v(15)), static_cast<int>(v(16)), static_cast<int>(v(17)));
        break;
      }
      case CMD_MEMSET_D32:
        status = cuMemsetD32Async(static_cast<CUdeviceptr>(f64(cmd, 16)), u32(cmd, 8),
                                  static_cast<size_t>(f64(cmd, 24)), c->stream);
        break;
      case CMD_COPY_DTOD:
        status = cuMemcpyDtoDAsync(static_cast<CUdeviceptr>(f64(cmd, 8)), static_cast<CUdeviceptr>(f64(cmd, 16)),
                                   static_cast<size_t>(f64(cmd, 24)), c->stream);
        break;
      default:
        status = STATUS_BAD_COMMANDS;
    }
    if (status != 0) return fail(c, index, status);
    at += size;
  }
  return 0;
}

}  // namespace

int validateCommands(Context* c, const uint8_t* data, size_t bytes, bool* usesBlasLt) {
  *usesBlasLt = false;
  size_t at = 0;
  for (size_t index = 0; at < bytes; index++) {
    if (bytes - at < 8) return fail(c, index, STATUS_BAD_COMMANDS);
    const uint32_t op = u32(data, at);
    const size_t size = u32(data, at + 4);
    if (size < 8 || size % 8 != 0 || size > bytes - at) return fail(c, index, STATUS_BAD_COMMANDS);
    switch (op) {
      case CMD_LAUNCH: {
        if (size < kLaunchHeader) return fail(c, index, STATUS_BAD_COMMANDS);
        const size_t paramBytes = u32(data, at + 40);
        if (u32(data, at + 8) >= c->functions.size() || paramBytes > size - kLaunchHeader ||
            size - kLaunchHeader - paramBytes >= 8)
          return fail(c, index, STATUS_BAD_COMMANDS);
        break;
      }
      case CMD_BLASLT:
        if (size != kBlasLtSize) return fail(c, index, STATUS_BAD_COMMANDS);
        *usesBlasLt = true;
        break;
      case CMD_MEMSET_D32:
        if (size != kMemsetSize) return fail(c, index, STATUS_BAD_COMMANDS);
        break;
      case CMD_COPY_DTOD:
        if (size != kCopySize) return fail(c, index, STATUS_BAD_COMMANDS);
        break;
      default:
        return fail(c, index, STATUS_BAD_COMMANDS);
    }
    at += size;
  }
  return 0;
}

int submitCommands(Context* c, const uint8_t* data, size_t bytes, int mode, int graphId) {
  if (c->closed) return STATUS_CLOSED;
  c->lastFailedCommand = 0;
  CUresult r = cuCtxSetCurrent(c->ctx);
  if (r != CUDA_SUCCESS) return r;
  if (mode == SUBMIT_REPLAY) {
    auto found = c->graphs.find(graphId);
    if (found == c->graphs.end()) return STATUS_NO_GRAPH;
    return cuGraphLaunch(found->second, c->stream);
  }
  bool usesBlasLt = false;
  int status = validateCommands(c, data, bytes, &usesBlasLt);
  if (status != 0) return status;
  if (mode == SUBMIT_DIRECT) return runCommands(c, data, bytes);
  if (mode != SUBMIT_CAPTURE) return STATUS_BAD_COMMANDS;
  if (!graphFunctionsLoaded()) return STATUS_NO_GRAPHS;
  // cuBLASLt's handle and workspace exist before the capture: nothing is allocated while capturing.
  if (usesBlasLt && (status = ensureBlasLt(c)) != 0) return status;
  r = cuStreamBeginCapture(c->stream, CU_STREAM_CAPTURE_MODE_THREAD_LOCAL);
  if (r != CUDA_SUCCESS) return r;
  status = runCommands(c, data, bytes);
  // The capture always ends, whatever failed inside it (the stream must not stay capturing).
  CUgraph graph = nullptr;
  r = cuStreamEndCapture(c->stream, &graph);
  if (status == 0 && r != CUDA_SUCCESS) status = r;
  CUgraphExec exec = nullptr;
  if (status == 0) status = cuGraphInstantiateWithFlags(&exec, graph, 0);
  if (graph != nullptr) cuGraphDestroy(graph);
  if (status != 0) return status;
  destroyGraph(c, graphId);
  c->graphs[graphId] = exec;
  return cuGraphLaunch(exec, c->stream);
}

void destroyGraph(Context* c, int id) {
  auto found = c->graphs.find(id);
  if (found == c->graphs.end()) return;
  cuGraphExecDestroy(found->second);
  c->graphs.erase(found);
}

void destroyGraphs(Context* c) {
  for (auto& entry : c->graphs) cuGraphExecDestroy(entry.second);
  c->graphs.clear();
}

}  // namespace dcu
