// What NVIDIA GPUs this process can see. Safe to call without a GPU or driver: it then returns
// an empty list (never aborts). Thread-safe.
#pragma once

#include <string>
#include <vector>

namespace r1b::kernels {

struct DeviceInfo {
  int index = 0;
  std::string name;                // e.g. "NVIDIA H100 80GB HBM3"
  size_t total_memory_bytes = 0;
  int sm_major = 0;
  int sm_minor = 0;
};

std::vector<DeviceInfo> visible_devices();

}  // namespace r1b::kernels
