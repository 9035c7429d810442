#include "harness/hardware.h"

#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

#include <fmt/core.h>

#ifdef R1B_HAVE_CUDA
#include "kernels/device_info.h"
#endif

namespace r1b::harness {

namespace {
std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
    }
  }
  return "unknown CPU";
}
}  // namespace

std::string hardware_description() {
  std::string out = fmt::format("{} x{}", cpu_model(), std::thread::hardware_concurrency());
#ifdef R1B_HAVE_CUDA
  for (const auto& d : kernels::visible_devices()) {
    out += fmt::format("; GPU{} {} ({:.0f} GiB, sm_{}{})", d.index, d.name, d.total_memory_bytes / 1073741824.0,
                       d.sm_major, d.sm_minor);
  }
#endif
  return out;
}

std::string source_git_sha() {
#ifdef R1B_SOURCE_DIR
  std::string cmd = std::string("git -C '") + R1B_SOURCE_DIR + "' rev-parse --short=12 HEAD 2>/dev/null";
  if (std::FILE* p = popen(cmd.c_str(), "r")) {
    std::array<char, 64> buf{};
    std::string sha;
    if (std::fgets(buf.data(), buf.size(), p)) sha = buf.data();
    pclose(p);
    while (!sha.empty() && (sha.back() == '\n' || sha.back() == '\r')) sha.pop_back();
    if (!sha.empty()) return sha;
  }
#endif
  return "unknown";
}

std::string utc_now_iso8601() {
  auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace r1b::harness
