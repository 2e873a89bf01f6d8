// Command lists: the launches of a forward recorded by TypeScript (src/commands.ts writes the same layout)
// and issued here in one call, directly or through a CUDA graph captured from them and replayed.
//
// Layout (little-endian, every command 8-byte aligned): u32 opcode, u32 the command's size in bytes, then
//   LAUNCH    u32 function index (Context::functions), grid x y z, block x y z, shared bytes, parameter
//             bytes, u32 0, the packed parameters (exactly that many bytes), zero padding to 8;
//   BLASLT    18 float64: transa, transb, m, n, k, a, lda, strideA, b, ldb, strideB, d, ldd, strideD,
//             batch, bias, dataType, computeType (blasLtMatmul's arguments);
//   MEMSET_D32  u32 value, u32 0, float64 pointer, float64 count;
//   COPY_DTOD   float64 destination, float64 source, float64 bytes.
#pragma once
#include <cstddef>
#include <cstdint>

#include "device.h"

namespace dcu {

constexpr uint32_t CMD_LAUNCH = 1;
constexpr uint32_t CMD_BLASLT = 2;
constexpr uint32_t CMD_MEMSET_D32 = 3;
constexpr uint32_t CMD_COPY_DTOD = 4;

constexpr int SUBMIT_DIRECT = 0;   // issue every command on the stream
constexpr int SUBMIT_CAPTURE = 1;  // capture them into a graph stored under the id, then launch it
constexpr int SUBMIT_REPLAY = 2;   // launch the graph stored under the id (the commands are not read)

/**
 * Checks the whole list (sizes, opcodes, function indices) before anything is issued: STATUS_BAD_COMMANDS
 * and the index of the first bad command in lastFailedCommand, or 0. Sets *usesBlasLt.
 */
int validateCommands(Context* c, const uint8_t* data, size_t bytes, bool* usesBlasLt);

/** Validates, then issues the list as `mode` says; a status (0, a CUresult, a STATUS_*). */
int submitCommands(Context* c, const uint8_t* data, size_t bytes, int mode, int graphId);

/** Frees the graph stored under `id` (nothing when there is none). */
void destroyGraph(Context* c, int id);
/** Frees every stored graph (closeContext). */
void destroyGraphs(Context* c);

}  // namespace dcu
