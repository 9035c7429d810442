// Facts about where a run happens, stored with every run: the machine (CPU model, core count,
// visible NVIDIA GPUs when built with CUDA) and the git commit of the r1bench source tree.
// Never fails: unknown facts read "unknown". Thread-safe.
#pragma once

#include <string>

namespace r1b::harness {

std::string hardware_description();
std::string source_git_sha();
std::string utc_now_iso8601();

}  // namespace r1b::harness
