#include "harness/runner.h"

#include <atomic>
#include <map>
#include <semaphore>
#include <thread>

#include <fmt/core.h>

#include "harness/hardware.h"
#include "harness/metrics.h"
#include "harness/progress.h"
#include "harness/rating.h"
#include "tasks/verify/verify.h"

namespace r1b::harness {

namespace {

struct RunTask {
  std::string pack;
  tasks::Task task;
  tasks::VerifyOptions verify_options;
};

// Everything a run needs to (re)start, rebuilt from the store for resume and regrade.
struct LoadedRun {
  results::RunInfo info;
  Suite suite;
  std::vector<RunTask> tasks;
};

tasks::VerifyOptions verify_options_for(const Suite& suite, const std::string& pack) {
  tasks::VerifyOptions options;
  options.think_opened_by_prompt = suite.chat_format == tasks::ChatFormat::kR1;
  for (const SuitePack& p : suite.packs) {
    if (p.spec.name == pack) options.last_number_fallback = p.last_number_fallback;
  }
  return options;
}

Result<LoadedRun> load_run(results::Store& store, int64_t run_id) {
  LoadedRun run;
  auto info = store.run(run_id);
  R1B_RETURN_IF_ERROR(info);
  run.info = *info;
  const std::string where = "run " + std::to_string(run_id) + " suite";
  nlohmann::json suite_json = nlohmann::json::parse(run.info.suite_json, nullptr, false);
  if (suite_json.is_discarded()) return Status::invalid_input(where + ": stored suite is not valid JSON");
  auto suite = parse_suite(suite_json, where, "");
  R1B_RETURN_IF_ERROR(suite);
  run.suite = *suite;
  auto rows = store.tasks(run_id);
  R1B_RETURN_IF_ERROR(rows);
  for (const results::TaskRow& row : *rows) {
    nlohmann::json j = nlohmann::json::parse(row.task_json, nullptr, false);
    auto task = tasks::task_from_json(j);
    if (!task.is_ok()) return task.status().with_context("run " + std::to_string(run_id) + " task " + row.task_id);
    run.tasks.push_back({row.pack, *task, verify_options_for(run.suite, row.pack)});
  }
  return run;
}

results::SampleRow grade(int64_t run_id, const RunTask& rt, const Completion& c) {
  tasks::VerifyResult v = tasks::verify(rt.task, c.text, rt.verify_options);
  results::SampleRow row;
  row.run_id = run_id;
  row.pack = rt.pack;
  row.task_id = rt.task.id;
  row.sample_idx = c.sample_idx;
  row.completion = c.text;
  row.extracted = v.extracted;
  row.verdict = std::string(tasks::verdict_name(v.verdict));
  row.correct = v.correct();
  row.reward = v.reward;
  row.reason = v.reason;
  row.prompt_tokens = c.prompt_tokens;
  row.completion_tokens = c.completion_tokens;
  row.latency_ms = c.latency_ms;
  row.finish_reason = c.finish_reason;
  row.details_json = v.details.dump();
  return row;
}

int core_count() { return static_cast<int>(std::max(1u, std::thread::hardware_concurrency())); }

int worker_count(const RunOptions& options, const Suite& suite, const Backend& backend) {
  if (options.concurrency > 0) return options.concurrency;
  if (suite.backend.contains("concurrency") && suite.backend["concurrency"].is_number_integer()) {
    return std::max(1, suite.backend["concurrency"].get<int>());
  }
  return std::max(core_count(), backend.preferred_concurrency(suite.n));
}

// Produces and grades every sample of `run` that has no row yet. Rows are committed per task.
Result<RunOutcome> execute(results::Store& store, const LoadedRun& run, Backend& backend, const RunOptions& options) {
  const int64_t run_id = run.info.run_id;
  auto graded = store.graded_keys(run_id);
  R1B_RETURN_IF_ERROR(graded);

  struct Work {
    const RunTask* task;
    std::vector<int> missing;
  };
  std::vector<Work> work;
  RunOutcome outcome;
  outcome.run_id = run_id;
  for (const RunTask& rt : run.tasks) {
    Work w{&rt, {}};
    for (int i = 0; i < run.suite.n; ++i) {
      if (graded->count({rt.pack, rt.task.id, i})) ++outcome.samples_graded_before;
      else w.missing.push_back(i);
    }
    outcome.samples_total += run.suite.n;
    if (!w.missing.empty()) work.push_back(std::move(w));
  }

  Progress progress(fmt::format("[run {}]", run_id), outcome.samples_total, outcome.samples_graded_before,
                    options.progress_out ? options.progress_out : stderr, options.progress_interval_ms);
  std::atomic<size_t> next{0};
  std::atomic<bool> store_failed{false};
  std::mutex mu;
  int64_t failed = 0;            // guarded by mu
  std::string first_error;       // guarded by mu
  Status store_error;            // guarded by mu
  // Grading (which may run sandboxed programs) takes at most one worker per core, however many
  // workers wait on the backend.
  std::counting_semaphore<> grading(core_count());

  auto worker = [&] {
    for (size_t i = next++; i < work.size() && !store_failed; i = next++) {
      const Work& w = work[i];
      GenerationRequest request;
      request.pack = w.task->pack;
      request.task = &w.task->task;
      request.prompt = tasks::render_prompt(run.suite.chat_format, w.task->task);
      request.user_message = tasks::user_message(w.task->task);
      request.sample_indices = w.missing;
      request.sampling = run.suite.sampling;
      auto completions = backend.generate(request);
      if (!completions.is_ok() || completions->size() != w.missing.size()) {
        std::lock_guard lock(mu);
        failed += static_cast<int64_t>(w.missing.size());
        if (first_error.empty()) {
          first_error = completions.is_ok() ? "backend returned the wrong number of completions for task " + w.task->task.id
                                            : completions.status().message();
        }
        continue;
      }
      std::vector<results::SampleRow> rows;
      int64_t tokens = 0;
      grading.acquire();
      for (const Completion& c : *completions) {
        rows.push_back(grade(run_id, *w.task, c));
        tokens += c.completion_tokens.value_or(0);
      }
      grading.release();
      Status s = store.add_samples(rows);
      if (!s.is_ok()) {
        std::lock_guard lock(mu);
        store_error = s;
        store_failed = true;
        continue;
      }
      progress.add(static_cast<int64_t>(rows.size()), tokens);
    }
  };
  std::vector<std::thread> threads;
  const int num_workers = std::min<int>(worker_count(options, run.suite, backend), std::max<size_t>(work.size(), 1));
  for (int t = 0; t < num_workers; ++t) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  if (options.progress_out) progress.finish();

  if (!store_error.is_ok()) return store_error;
  outcome.samples_failed = failed;
  outcome.first_error = first_error;
  outcome.samples_graded_now = progress.samples_done_here();
  outcome.completion_tokens = progress.tokens_done_here();
  outcome.wall_s = progress.elapsed_s();
  outcome.status = failed == 0 ? "complete" : "incomplete";

  nlohmann::json notes = nlohmann::json::parse(run.info.notes.empty() ? "{}" : run.info.notes, nullptr, false);
  if (!notes.is_object()) notes = nlohmann::json::object();
  nlohmann::json session = {{"wall_s", outcome.wall_s},
                            {"samples_graded", outcome.samples_graded_now},
                            {"samples_failed", outcome.samples_failed},
                            {"completion_tokens", outcome.completion_tokens},
                            {"samples_per_s", outcome.wall_s > 0 ? outcome.samples_graded_now / outcome.wall_s : 0.0},
                            {"completion_tokens_per_s", outcome.wall_s > 0 ? outcome.completion_tokens / outcome.wall_s : 0.0},
                            {"finished_at", utc_now_iso8601()}};
  if (!first_error.empty()) session["first_error"] = first_error;
  outcome.engine_stats = backend.engine_stats();
  if (!outcome.engine_stats.is_null()) session["engine"] = outcome.engine_stats;
  notes["sessions"].push_back(session);
  R1B_RETURN_IF_ERROR(store.finish_run(run_id, outcome.status, notes.dump()));
  if (outcome.status == "complete") {
    auto metrics = update_metrics(store, run_id);
    R1B_RETURN_IF_ERROR(metrics);
    outcome.metrics = *metrics;
  }
  return outcome;
}

results::RunInfo new_run_info(const Suite& suite, const Backend& backend, const RunOptions& options) {
  results::RunInfo info;
  info.name = options.run_name.empty() ? suite.name : options.run_name;
  info.suite_json = suite_to_json(suite).dump();
  info.model = backend.model();
  info.backend = backend.name();
  info.template_name = std::string(tasks::chat_format_name(suite.chat_format));
  info.template_text = tasks::template_text(suite.chat_format);
  info.git_sha = source_git_sha();
  info.hardware = hardware_description();
  info.verifier_version = std::string(tasks::verifier_version());
  info.seed = static_cast<int64_t>(suite.sampling.seed);
  info.started_at = utc_now_iso8601();
  return info;
}

Status store_tasks(results::Store& store, int64_t run_id, const std::vector<RunTask>& run_tasks) {
  std::vector<results::TaskRow> rows;
  for (const RunTask& rt : run_tasks) rows.push_back({rt.pack, rt.task.id, tasks::task_to_json(rt.task).dump()});
  return store.add_tasks(run_id, rows);
}

}  // namespace

Result<RunOutcome> start_run(results::Store& store, const Suite& suite, const RunOptions& options) {
  LoadedRun run;
  run.suite = suite;
  for (const SuitePack& sp : suite.packs) {
    auto pack = tasks::load_pack(sp.spec);
    R1B_RETURN_IF_ERROR(pack);
    size_t count = sp.limit > 0 ? std::min<size_t>(sp.limit, pack->tasks.size()) : pack->tasks.size();
    const tasks::VerifyOptions vopts = verify_options_for(suite, sp.spec.name);
    for (size_t i = 0; i < count; ++i) run.tasks.push_back({sp.spec.name, pack->tasks[i], vopts});
  }
  auto backend = make_backend(suite.backend, "suite \"" + suite.name + "\" backend");
  R1B_RETURN_IF_ERROR(backend);
  run.info = new_run_info(suite, **backend, options);
  auto run_id = store.create_run(run.info);
  R1B_RETURN_IF_ERROR(run_id);
  run.info.run_id = *run_id;
  R1B_RETURN_IF_ERROR(store_tasks(store, *run_id, run.tasks));
  return execute(store, run, **backend, options);
}

Result<RunOutcome> resume_run(results::Store& store, int64_t run_id, const RunOptions& options) {
  auto run = load_run(store, run_id);
  R1B_RETURN_IF_ERROR(run);
  if (run->info.parent_run_id && run->info.status == "complete") {
    return Status::invalid_input("run " + std::to_string(run_id) + " is a complete regrade; nothing to resume");
  }
  if (run->info.verifier_version != tasks::verifier_version()) {
    // Never mix verdicts of two grading rule sets in one run.
    return Status::invalid_input("run " + std::to_string(run_id) + " was graded by verifier " +
                                 run->info.verifier_version + " but this r1bench grades with " +
                                 std::string(tasks::verifier_version()) +
                                 ": resume it with the r1bench that started it, then `r1bench regrade " +
                                 std::to_string(run_id) + "`");
  }
  auto backend = make_backend(run->suite.backend, "run " + std::to_string(run_id) + " backend");
  R1B_RETURN_IF_ERROR(backend);
  return execute(store, *run, **backend, options);
}

Result<RunOutcome> regrade_run(results::Store& store, int64_t run_id, const RunOptions& options) {
  auto source = load_run(store, run_id);
  R1B_RETURN_IF_ERROR(source);
  auto samples = store.samples(run_id);
  R1B_RETURN_IF_ERROR(samples);

  LoadedRun run = *source;
  run.info.parent_run_id = run_id;
  run.info.name = options.run_name.empty() ? source->info.name + " (regraded)" : options.run_name;
  run.info.verifier_version = std::string(tasks::verifier_version());
  run.info.backend = "regrade:run " + std::to_string(run_id);
  run.info.status = "running";
  run.info.started_at = utc_now_iso8601();
  run.info.finished_at.clear();
  run.info.notes = "{}";
  auto new_id = store.create_run(run.info);
  R1B_RETURN_IF_ERROR(new_id);
  run.info.run_id = *new_id;
  R1B_RETURN_IF_ERROR(store_tasks(store, *new_id, run.tasks));

  // The "backend" of a regrade replays the parent's stored completions, token counts included.
  class StoredCompletions final : public Backend {
   public:
    explicit StoredCompletions(const std::vector<results::SampleRow>& rows, int64_t parent) : parent_(parent) {
      for (const auto& r : rows) by_key_[{r.pack, r.task_id, r.sample_idx}] = &r;
    }
    std::string name() const override { return "regrade:run " + std::to_string(parent_); }
    std::string model() const override { return ""; }
    Result<std::vector<Completion>> generate(const GenerationRequest& request) override {
      std::vector<Completion> out;
      for (int idx : request.sample_indices) {
        auto it = by_key_.find({request.pack, request.task->id, idx});
        if (it == by_key_.end()) {
          return Status::not_found("run " + std::to_string(parent_) + " has no sample " + std::to_string(idx) +
                                   " of task " + request.task->id + " (resume it before regrading)");
        }
        const results::SampleRow& r = *it->second;
        out.push_back({idx, r.completion, r.prompt_tokens, r.completion_tokens, r.latency_ms, r.finish_reason});
      }
      return out;
    }

   private:
    int64_t parent_;
    std::map<results::SampleKey, const results::SampleRow*> by_key_;
  };
  StoredCompletions backend(*samples, run_id);
  return execute(store, run, backend, options);
}

namespace {

// "codeforces_rating" of every pack with rated code problems (harness/rating.h): the rating at
// which the expected number of solved problems matches the run's pass@1 on them, with its
// bootstrap interval. A rating at a bound (all or none solved) is still stored: the interval
// shows it touching the bound.
Result<std::vector<results::MetricRow>> codeforces_ratings(
    int64_t run_id, std::span<const ProblemSamples> problems, int n,
    const std::map<std::pair<std::string, std::string>, const tasks::Task*>& task_of, const BootstrapOptions& bootstrap) {
  auto scores = problem_scores(problems, n);
  R1B_RETURN_IF_ERROR(scores);
  std::map<std::string, std::vector<RatedProblem>> by_pack;
  for (const ProblemScore& score : *scores) {
    const tasks::Task& task = *task_of.at({score.pack, score.task_id});
    if (task.kind != tasks::TaskKind::kCode || !task.meta.rating) continue;
    by_pack[score.pack].push_back({static_cast<double>(*task.meta.rating), score.score});
  }
  std::vector<results::MetricRow> rows;
  for (const auto& [pack, rated] : by_pack) {
    RatingOptions options;
    options.bootstrap = bootstrap;
    auto estimate = estimate_rating(rated, options);
    R1B_RETURN_IF_ERROR(estimate.status().with_context("pack " + pack + ": codeforces rating"));
    rows.push_back({run_id, pack, "", "codeforces_rating", 0, estimate->rating, estimate->ci_low, estimate->ci_high,
                    estimate->num_rated});
  }
  return rows;
}

}  // namespace

Result<std::vector<results::MetricRow>> update_metrics(results::Store& store, int64_t run_id) {
  auto run = load_run(store, run_id);
  R1B_RETURN_IF_ERROR(run);
  auto samples = store.samples(run_id);
  R1B_RETURN_IF_ERROR(samples);
  std::vector<ProblemSamples> problems = group_samples(*samples);
  std::map<std::pair<std::string, std::string>, const tasks::Task*> task_of;
  for (const RunTask& rt : run->tasks) task_of[{rt.pack, rt.task.id}] = &rt.task;
  for (ProblemSamples& p : problems) {
    auto it = task_of.find({p.pack, p.task_id});
    if (it == task_of.end()) {
      return Status::internal("run " + std::to_string(run_id) + " has samples of unknown task " + p.task_id);
    }
    const tasks::TaskMeta& meta = it->second->meta;
    p.has_answers = it->second->kind == tasks::TaskKind::kMath || it->second->kind == tasks::TaskKind::kChoice;
    if (!meta.subject.empty()) p.slices["subject"] = meta.subject;
    if (meta.level) p.slices["level"] = std::to_string(*meta.level);
    if (meta.year) p.slices["year"] = std::to_string(*meta.year);
  }
  SameAnswer same = [&](const ProblemSamples& p, const std::string& a, const std::string& b) {
    return tasks::same_answer(*task_of.at({p.pack, p.task_id}), a, b);
  };
  MetricOptions metric_options;
  metric_options.bootstrap.seed = static_cast<uint64_t>(run->info.seed);
  auto metrics = compute_metrics(run_id, problems, run->suite.n, same, metric_options);
  R1B_RETURN_IF_ERROR(metrics);
  auto ratings = codeforces_ratings(run_id, problems, run->suite.n, task_of, metric_options.bootstrap);
  R1B_RETURN_IF_ERROR(ratings);
  metrics->insert(metrics->end(), ratings->begin(), ratings->end());
  R1B_RETURN_IF_ERROR(store.put_metrics(run_id, *metrics));
  return metrics;
}

Result<std::vector<ProblemScore>> run_problem_scores(results::Store& store, int64_t run_id) {
  auto run = load_run(store, run_id);
  R1B_RETURN_IF_ERROR(run);
  if (run->info.status != "complete") {
    return Status::invalid_input("run " + std::to_string(run_id) + " is " + run->info.status +
                                 "; finish it first with `r1bench run --resume " + std::to_string(run_id) + "`");
  }
  auto samples = store.samples(run_id);
  R1B_RETURN_IF_ERROR(samples);
  return problem_scores(group_samples(*samples), run->suite.n);
}

}  // namespace r1b::harness
