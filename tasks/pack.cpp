#include "tasks/pack.h"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "tasks/loaders/competitive.h"
#include "tasks/loaders/json_records.h"
#include "tasks/loaders/jsonl_reader.h"
#include "tasks/loaders/loaders.h"
#include "tasks/loaders/swebench.h"

namespace r1b::tasks {

std::string_view format_name(PackFormat format) {
  switch (format) {
    case PackFormat::kAuto: return "auto";
    case PackFormat::kNative: return "native";
    case PackFormat::kMath500: return "math500";
    case PackFormat::kAime: return "aime";
    case PackFormat::kGpqa: return "gpqa";
    case PackFormat::kCodeforces: return "codeforces";
    case PackFormat::kCodeContests: return "code_contests";
    case PackFormat::kSwebench: return "swebench";
  }
  return "auto";
}

std::optional<PackFormat> parse_format(std::string_view name) {
  for (PackFormat format : {PackFormat::kAuto, PackFormat::kNative, PackFormat::kMath500, PackFormat::kAime,
                            PackFormat::kGpqa, PackFormat::kCodeforces, PackFormat::kCodeContests,
                            PackFormat::kSwebench}) {
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

// The format, from the keys of the first record (pack.h lists the rules).
Result<PackFormat> detect_format(const SourceRecords& records) {
  const nlohmann::json& json = records.records.front().json;
  if (json.contains("kind")) return PackFormat::kNative;
  if (json.contains("instance_id")) return PackFormat::kSwebench;
  if (json.contains("unique_id")) return PackFormat::kMath500;
  auto tests = json.find("tests");
  if (json.contains("problem") && tests != json.end()) {
    if (tests->is_array()) return PackFormat::kCodeforces;
    if (tests->is_object()) return PackFormat::kCodeContests;
  }
  if ((json.contains("problem") || json.contains("question")) && json.contains("answer")) return PackFormat::kAime;
  return records.at(Status::invalid_input("cannot tell the pack format: the first record has neither \"kind\" "
                                          "(native), \"instance_id\" (swebench), \"unique_id\" (math500), "
                                          "\"problem\" and \"tests\" (codeforces, code_contests) nor \"problem\" "
                                          "and \"answer\" (aime); set the pack's format"),
                    records.records.front());
}

RecordToTask record_converter(PackFormat format) {
  switch (format) {
    case PackFormat::kMath500: return math500_task;
    case PackFormat::kAime: return aime_task;
    case PackFormat::kAuto:
    case PackFormat::kNative:
    case PackFormat::kGpqa:
    case PackFormat::kCodeforces:
    case PackFormat::kCodeContests:
    case PackFormat::kSwebench: break;
  }
  return native_task;
}

bool is_jsonl_only(PackFormat format) {
  return format == PackFormat::kNative || format == PackFormat::kMath500 || format == PackFormat::kAime;
}

// The JSONL formats (native, math500, aime) through their per-line converters, once detected.
Result<std::vector<Task>> jsonl_tasks(const SourceRecords& records, PackFormat format) {
  if (records.is_array) {
    return Status::invalid_input(records.path + ": is one JSON array, but " + std::string(format_name(format)) +
                                 " packs are JSON Lines (one object per line); convert the file or set the "
                                 "pack's format to codeforces, code_contests or swebench");
  }
  std::vector<JsonlRecord> lines;
  lines.reserve(records.records.size());
  for (const SourceRecord& record : records.records) lines.push_back({.json = record.json, .line = record.line});
  return tasks_from_records(records.path, lines, record_converter(format));
}

Result<std::vector<Task>> load_tasks(const PackSpec& spec, const std::string& pack_name, PackFormat& format) {
  if (format == PackFormat::kAuto && has_csv_extension(spec.path)) format = PackFormat::kGpqa;
  if (format == PackFormat::kGpqa) return load_gpqa(spec);
  if (is_jsonl_only(format)) {
    auto lines = read_jsonl(spec.path);
    R1B_RETURN_IF_ERROR(lines);
    return tasks_from_records(spec.path, *lines, record_converter(format));
  }
  auto records = read_json_records(spec.path);
  R1B_RETURN_IF_ERROR(records);
  if (format == PackFormat::kAuto) {
    auto detected = detect_format(*records);
    R1B_RETURN_IF_ERROR(detected);
    format = *detected;
  }
  switch (format) {
    case PackFormat::kCodeforces:
    case PackFormat::kCodeContests: return competitive_tasks(*records, pack_name, format);
    case PackFormat::kSwebench: return swebench_tasks(*records, spec.repos_dir);
    case PackFormat::kAuto:
    case PackFormat::kNative:
    case PackFormat::kMath500:
    case PackFormat::kAime:
    case PackFormat::kGpqa: break;
  }
  return jsonl_tasks(*records, format);
}

// A relative tests.repo of a native patch task, made absolute against the pack file's folder.
void resolve_repo_path(Task& task, const std::string& pack_path) {
  if (task.kind != TaskKind::kPatch || !task.tests.is_object()) return;
  auto repo = task.tests.find("repo");
  if (repo == task.tests.end() || !repo->is_string()) return;
  const std::filesystem::path path = repo->get<std::string>();
  if (path.empty() || path.is_absolute()) return;
  const std::filesystem::path folder = std::filesystem::absolute(pack_path).parent_path();
  *repo = (folder / path).lexically_normal().string();
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
  auto tasks = load_tasks(spec, pack.name, pack.format);
  R1B_RETURN_IF_ERROR(tasks);
  pack.tasks = std::move(tasks).value();
  for (Task& task : pack.tasks) {
    if (!spec.source.empty()) task.meta.source = spec.source;
    if (!task.meta.year) task.meta.year = spec.year;
    if (pack.format == PackFormat::kNative) resolve_repo_path(task, spec.path);
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
