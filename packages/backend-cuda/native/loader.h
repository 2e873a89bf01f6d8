// Loading libcuda.so.1 and cuBLASLt with dlopen, once per process.
#pragma once
#include <string>
#include <vector>
#include "cuda_api.h"

namespace dcu {

/** Loads the driver from the first candidate that opens and resolves every symbol; "" or the reason. */
std::string loadDriver(const std::vector<std::string>& candidates);
bool driverLoaded();
/** Where the driver was loaded from (dladdr of cuInit), or the candidate name. */
const std::string& driverPath();
/** Whether the stream-ordered allocator entry points resolved. */
bool poolFunctionsLoaded();
/** Whether the CUDA graph entry points (stream capture, instantiate, launch) resolved. */
bool graphFunctionsLoaded();

/** Loads cuBLASLt from the first candidate that opens and resolves; "" or every candidate's failure. */
std::string loadBlasLt(const std::vector<std::string>& candidates);
bool blasLtLoaded();
const std::string& blasLtPath();

/** "CUDA_ERROR_X: description" for a driver result (or the bare number before the driver is loaded). */
std::string describe(CUresult r);

}  // namespace dcu
