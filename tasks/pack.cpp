#include "tasks/pack.h"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "tasks/loaders/jsonl_reader.h"
#include "tasks/loaders/loaders.h"

namespace r1b::tasks {

std::string_view format_name(PackFormat format) {
  switch (format) {
    case PackFormat::kAuto: return "auto";
    case PackFormat::kNative: return "native";
    case PackFormat::kMath500: return "math500";
    case PackFormat::kAime: return "aime";
    case PackFormat::kGpqa: return "gpqa";
  }
  return "auto";
}

std::optional<PackFormat> parse_format(std::string_view name) {
  for (PackFormat format :
       {PackFormat::kAuto, PackFormat::kNative, PackFormat::kMath500, PackFormat::kAime, PackFormat::kGpqa}) {
    if (format_name(format) == name) return format;
  }
  return std::nullopt;
}

namespace {

bool has_csv_extension(const std::string& path) {
  std::string extension = std::filesystem::path(path).extension().string();
  for (char& c : extension) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return extension == ".csv";
}

// The JSONL format, from the keys of the first record (pack.h lists the rules).
Result<PackFormat> detect_jsonl_format(const std::string& path, const JsonlRecord& first) {
  const nlohmann::json& json = first.json;
  if (json.contains("kind")) return PackFormat::kNative;
  if (json.contains("unique_id")) return PackFormat::kMath500;
  if ((json.contains("problem") || json.contains("question")) && json.contains("answer")) return PackFormat::kAime;
  return at_line(Status::invalid_input("cannot tell the pack format: the first record has neither \"kind\" (native), "
                                       "\"unique_id\" (math500) nor \"problem\" and \"answer\" (aime); "
                                       "set the pack's format to native, math500, aime or gpqa"),
                 path, first.line);
}

RecordToTask record_converter(PackFormat format) {
  switch (format) {
    case PackFormat::kMath500: return math500_task;
    case PackFormat::kAime: return aime_task;
    case PackFormat::kAuto:
    case PackFormat::kNative:
    case PackFormat::kGpqa: break;
  }
  return native_task;
}

Result<std::vector<Task>> load_tasks(const PackSpec& spec, PackFormat& format) {
  if (format == PackFormat::kAuto && has_csv_extension(spec.path)) format = PackFormat::kGpqa;
  if (format == PackFormat::kGpqa) return load_gpqa(spec);
  auto records = read_jsonl(spec.path);
  R1B_RETURN_IF_ERROR(records);
  if (format == PackFormat::kAuto) {
    auto detected = detect_jsonl_format(spec.path, records->front());
    R1B_RETURN_IF_ERROR(detected);
    format = *detected;
  }
  return tasks_from_records(spec.path, *records, record_converter(format));
}

}  // namespace

Result<Pack> load_pack(const PackSpec& spec) {
  Pack pack;
  pack.name = spec.name.empty() ? std::filesystem::path(spec.path).stem().string() : spec.name;
  if (spec.path.empty()) {
    return Status::invalid_input("pack \"" + pack.name + "\": no path; set the pack's path to its file");
  }
  pack.path = spec.path;
  pack.format = spec.format;
  auto tasks = load_tasks(spec, pack.format);
  R1B_RETURN_IF_ERROR(tasks);
  pack.tasks = std::move(tasks).value();
  for (Task& task : pack.tasks) {
    if (!spec.source.empty()) task.meta.source = spec.source;
    if (!task.meta.year) task.meta.year = spec.year;
  }
  return pack;
}

Status write_native_pack(const Pack& pack, const std::string& path) {
  std::string text;
  for (const Task& task : pack.tasks) {
    try {
      text += task_to_json(task).dump() + '\n';
    } catch (const nlohmann::json::type_error& error) {
      return Status::invalid_input("task \"" + task.id + "\" of pack \"" + pack.name +
                                   "\" cannot be written as JSON (" + error.what() + "); its text must be valid UTF-8");
    }
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) {
    return Status::io_error(path + ": cannot open for writing: " + std::strerror(errno) +
                            "; check that the folder exists and is writable");
  }
  out << text;
  out.close();
  if (!out) return Status::io_error(path + ": write failed: " + std::strerror(errno));
  return Status::ok();
}

}  // namespace r1b::tasks
