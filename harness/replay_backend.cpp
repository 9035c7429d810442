#include "harness/replay_backend.h"

#include <filesystem>
#include <fstream>
#include <map>

namespace r1b::harness {

namespace {

struct SavedSample {
  std::string text;
  std::optional<int64_t> completion_tokens;
};

struct SavedTask {
  std::vector<SavedSample> samples;
  std::optional<int64_t> prompt_tokens;
};

class ReplayBackend final : public Backend {
 public:
  ReplayBackend(std::string path, std::string model, std::map<std::string, SavedTask> by_key)
      : path_(std::move(path)), model_(std::move(model)), by_key_(std::move(by_key)) {}

  std::string name() const override { return "replay:" + path_; }
  std::string model() const override { return model_; }

  Result<std::vector<Completion>> generate(const GenerationRequest& request) override {
    const SavedTask* saved = find(request.pack, request.task->id);
    if (saved == nullptr) {
      return Status::not_found(path_ + ": no saved generations for task \"" + request.task->id + "\" of pack \"" +
                               request.pack + "\" (add a line with this task_id, or remove the task from the suite)");
    }
    std::vector<Completion> out;
    for (int idx : request.sample_indices) {
      if (idx >= static_cast<int>(saved->samples.size())) {
        return Status::invalid_input(path_ + ": task \"" + request.task->id + "\" has " +
                                     std::to_string(saved->samples.size()) + " saved completions but sample " +
                                     std::to_string(idx) + " was asked for (lower the suite's n)");
      }
      const SavedSample& s = saved->samples[idx];
      Completion c;
      c.sample_idx = idx;
      c.text = s.text;
      c.prompt_tokens = saved->prompt_tokens;
      c.completion_tokens = s.completion_tokens;
      c.finish_reason = "stop";
      out.push_back(std::move(c));
    }
    return out;
  }

 private:
  const SavedTask* find(const std::string& pack, const std::string& task_id) const {
    auto it = by_key_.find(pack + '\n' + task_id);
    if (it == by_key_.end()) it = by_key_.find('\n' + task_id);
    return it == by_key_.end() ? nullptr : &it->second;
  }

  const std::string path_;
  const std::string model_;
  const std::map<std::string, SavedTask> by_key_;  // "pack\ntask_id" ("\ntask_id" without pack)
};

Status line_error(const std::string& path, int line, const std::string& what) {
  return Status::invalid_input(path + ":" + std::to_string(line) + ": " + what);
}

Status add_line(const nlohmann::json& j, const std::string& path, int line, std::map<std::string, SavedTask>& by_key) {
  if (!j.is_object()) return line_error(path, line, "each line must be a JSON object");
  if (!j.contains("task_id") || !(j["task_id"].is_string() || j["task_id"].is_number_integer())) {
    return line_error(path, line, "field \"task_id\": missing or not a string");
  }
  std::string task_id = j["task_id"].is_string() ? j["task_id"].get<std::string>() : std::to_string(j["task_id"].get<int64_t>());
  std::string pack;
  if (j.contains("pack")) {
    if (!j["pack"].is_string()) return line_error(path, line, "field \"pack\": must be a string");
    pack = j["pack"];
  }
  std::vector<std::string> texts;
  if (j.contains("completions")) {
    if (!j["completions"].is_array()) return line_error(path, line, "field \"completions\": must be an array of strings");
    for (const auto& c : j["completions"]) {
      if (!c.is_string()) return line_error(path, line, "field \"completions\": every completion must be a string");
      texts.push_back(c);
    }
  } else if (j.contains("completion")) {
    if (!j["completion"].is_string()) return line_error(path, line, "field \"completion\": must be a string");
    texts.push_back(j["completion"]);
  } else {
    return line_error(path, line, "field \"completions\": missing (or give one \"completion\")");
  }
  std::vector<std::optional<int64_t>> tokens(texts.size());
  if (j.contains("completion_tokens")) {
    const auto& t = j["completion_tokens"];
    if (t.is_number_integer() && texts.size() == 1) {
      tokens[0] = t.get<int64_t>();
    } else if (t.is_array() && t.size() == texts.size()) {
      for (size_t i = 0; i < t.size(); ++i) {
        if (!t[i].is_number_integer()) return line_error(path, line, "field \"completion_tokens\": must hold integers");
        tokens[i] = t[i].get<int64_t>();
      }
    } else {
      return line_error(path, line, "field \"completion_tokens\": must be one integer per completion");
    }
  }
  SavedTask& task = by_key[pack + '\n' + task_id];
  if (j.contains("prompt_tokens")) {
    if (!j["prompt_tokens"].is_number_integer()) return line_error(path, line, "field \"prompt_tokens\": must be an integer");
    task.prompt_tokens = j["prompt_tokens"].get<int64_t>();
  }
  for (size_t i = 0; i < texts.size(); ++i) task.samples.push_back({std::move(texts[i]), tokens[i]});
  return Status::ok();
}

}  // namespace

Result<std::unique_ptr<Backend>> make_replay_backend(const nlohmann::json& config, const std::string& where) {
  for (const auto& [key, value] : config.items()) {
    if (key != "type" && key != "path" && key != "model") {
      return Status::invalid_input(where + ": backend key \"" + key + "\" is unknown for replay (known: path, model)");
    }
  }
  if (!config.contains("path") || !config["path"].is_string()) {
    return Status::invalid_input(where + ": replay backend needs \"path\" (a JSONL file of saved generations)");
  }
  const std::string path = config["path"];
  std::ifstream in(path);
  if (!in) return Status::not_found(path + ": cannot open saved generations (check the backend \"path\")");
  std::map<std::string, SavedTask> by_key;
  std::string text;
  int line = 0;
  while (std::getline(in, text)) {
    ++line;
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return line_error(path, line, "not valid JSON");
    R1B_RETURN_IF_ERROR(add_line(j, path, line, by_key));
  }
  if (by_key.empty()) return Status::invalid_input(path + ": no saved generations in the file");
  std::string model = config.value("model", std::filesystem::path(path).stem().string());
  return std::unique_ptr<Backend>(new ReplayBackend(path, model, std::move(by_key)));
}

}  // namespace r1b::harness
