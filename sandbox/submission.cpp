#include "sandbox/submission.h"

#include "sandbox/language.h"

namespace r1b::sandbox {
namespace {

constexpr std::string_view kThinkEnd = "</think>";

struct Fence {
  char marker = 0;  // '`' or '~'
  size_t length = 0;
  std::string_view info;
};

// The fence a line opens or closes (up to 3 spaces of indent, then 3+ backticks or tildes).
std::optional<Fence> parse_fence(std::string_view line) {
  size_t indent = 0;
  while (indent < line.size() && indent < 3 && line[indent] == ' ') ++indent;
  line.remove_prefix(indent);
  if (line.empty() || (line[0] != '`' && line[0] != '~')) return std::nullopt;
  Fence fence{line[0], 0, {}};
  while (fence.length < line.size() && line[fence.length] == fence.marker) ++fence.length;
  if (fence.length < 3) return std::nullopt;
  std::string_view info = line.substr(fence.length);
  while (!info.empty() && (info.front() == ' ' || info.front() == '\t')) info.remove_prefix(1);
  while (!info.empty() && (info.back() == ' ' || info.back() == '\t' || info.back() == '\r')) info.remove_suffix(1);
  fence.info = info;
  return fence;
}

std::string_view first_word(std::string_view info) {
  const size_t end = info.find_first_of(" \t{");
  return info.substr(0, end);
}

}  // namespace

std::optional<Submission> extract_submission(std::string_view completion, std::string_view default_language) {
  if (const size_t think = completion.rfind(kThinkEnd); think != std::string_view::npos) {
    completion.remove_prefix(think + kThinkEnd.size());
  }
  std::optional<Submission> last;
  std::optional<Fence> open;
  Submission current;
  size_t start = 0;
  while (start < completion.size()) {
    size_t end = completion.find('\n', start);
    if (end == std::string_view::npos) end = completion.size();
    const std::string_view line = completion.substr(start, end - start);
    start = end + 1;
    const std::optional<Fence> fence = parse_fence(line);
    if (!open) {
      if (fence) {
        open = fence;
        current = Submission{};
        current.fence_tag = std::string(first_word(fence->info));
      }
      continue;
    }
    if (fence && fence->marker == open->marker && fence->length >= open->length && fence->info.empty()) {
      last = current;
      open.reset();
      continue;
    }
    current.source.append(line);
    current.source += '\n';
  }
  if (!last) return std::nullopt;
  const std::string_view tag = last->fence_tag.empty() ? default_language : std::string_view(last->fence_tag);
  const Language* language = find_language(tag);
  last->language = language ? language->name : "";
  return last;
}

}  // namespace r1b::sandbox
