// `r1bench verify`: grade one completion with the same verify() the harness and GRPO training use.
//
//   r1bench verify --gold ANSWER --completion TEXT          (a math answer; --format integer|expression)
//   r1bench verify --task-file F --completion-file C        (F: one native task JSON object, any kind;
//                                                            C: the completion text, "-" for stdin)
// Prints one JSON line {verdict, correct, reward, extracted, reason, verifier}. Exit 0 when it
// could grade (correct or wrong), 2 on usage or data errors and on judge_error (the gold could not
// be read, or the kind needs a judge that is not available), with one line on stderr.
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include <nlohmann/json.hpp>

#include "harness/commands.h"
#include "tasks/task.h"
#include "tasks/verify/verify.h"

namespace r1b::harness {

namespace {

constexpr int kExitGraded = 0;
constexpr int kExitUsage = 2;

struct VerifyFlags {
  std::string gold;
  std::string completion;
  std::string task_file;
  std::string completion_file;
  std::string format = "expression";
  bool whole_completion = false;
  bool no_last_number = false;
};

Result<std::string> read_text(const std::string& path) {
  if (path == "-") {
    std::ostringstream all;
    all << std::cin.rdbuf();
    return all.str();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::not_found(path + ": cannot open (check the path)");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return Status::io_error(path + ": read failed");
  return text;
}

Result<tasks::Task> read_task(const std::string& path) {
  auto text = read_text(path);
  R1B_RETURN_IF_ERROR(text);
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return Status::invalid_input(path + ": not valid JSON (expected one native task object, see tasks/task.h)");
  }
  auto task = tasks::task_from_json(j);
  if (!task.is_ok()) return task.status().with_context(path);
  return task;
}

}  // namespace

void add_verify_command(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<VerifyFlags>();
  CLI::App* cmd = app.add_subcommand(
      "verify", "grade one completion with the harness's verifier; prints one JSON verdict (exit 0 graded, 2 error)");
  auto* gold = cmd->add_option("--gold", flags->gold, "gold answer of a math task (with --completion)");
  auto* completion = cmd->add_option("--completion", flags->completion, "completion text (with --gold)");
  auto* task_file = cmd->add_option("--task-file", flags->task_file, "file with one native task JSON object");
  auto* completion_file =
      cmd->add_option("--completion-file", flags->completion_file, "file with the completion text (- for stdin)");
  cmd->add_option("--format", flags->format, "answer format of --gold: integer or expression")
      ->check(CLI::IsMember({"integer", "expression"}))
      ->capture_default_str();
  cmd->add_flag("--whole-completion", flags->whole_completion,
                "read the answer from the whole completion, not only after </think>");
  cmd->add_flag("--no-last-number", flags->no_last_number, "no last-number fallback when no final answer is marked");
  gold->excludes(task_file)->excludes(completion_file);
  completion->excludes(task_file)->excludes(completion_file);

  cmd->callback([flags, &exit_code] {
    const VerifyFlags& f = *flags;
    tasks::Task task;
    std::string text;
    bool gold_mode = !f.gold.empty() || !f.completion.empty();
    if (gold_mode) {
      if (f.gold.empty() || f.completion.empty()) {
        std::cerr << "r1bench: verify: --gold and --completion go together (or use --task-file and --completion-file)\n";
        exit_code = kExitUsage;
        return;
      }
      task.id = "cli";
      task.kind = tasks::TaskKind::kMath;
      task.answer = f.gold;
      task.answer_format = f.format == "integer" ? tasks::AnswerFormat::kInteger : tasks::AnswerFormat::kExpression;
      text = f.completion;
    } else {
      if (f.task_file.empty() || f.completion_file.empty()) {
        std::cerr << "r1bench: verify: give --gold ANSWER --completion TEXT, or --task-file F --completion-file C\n";
        exit_code = kExitUsage;
        return;
      }
      auto loaded = read_task(f.task_file);
      if (!loaded.is_ok()) {
        std::cerr << "r1bench: verify: --task-file " << loaded.status().message() << "\n";
        exit_code = kExitUsage;
        return;
      }
      task = *loaded;
      auto completion_text = read_text(f.completion_file);
      if (!completion_text.is_ok()) {
        std::cerr << "r1bench: verify: --completion-file " << completion_text.status().message() << "\n";
        exit_code = kExitUsage;
        return;
      }
      text = *completion_text;
    }
    tasks::VerifyOptions options;
    options.answer_after_think = !f.whole_completion;
    options.last_number_fallback = !f.no_last_number;
    options.report_style = false;
    tasks::VerifyResult r = tasks::verify(task, text, options);
    nlohmann::json out = {{"verdict", tasks::verdict_name(r.verdict)},
                          {"correct", r.correct()},
                          {"reward", r.reward},
                          {"extracted", r.extracted},
                          {"reason", r.reason},
                          {"verifier", tasks::verifier_version()}};
    std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    if (r.verdict == tasks::Verdict::kJudgeError) {
      std::cerr << "r1bench: verify: could not grade task " << task.id << ": " << r.reason << "\n";
      exit_code = kExitUsage;
      return;
    }
    exit_code = kExitGraded;
  });
}

}  // namespace r1b::harness
