#include "results/report_html.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "results/report_page.h"
#include "results/summary.h"

namespace r1b::results {

namespace {

// The page size is bounded whatever the database holds: at most 8 samples of a problem per run,
// each cut at kMaxCompletionBytes; when that would put more than kMaxTranscriptBytes of
// transcripts on the page, each (problem, run) gets an equal share of it (at least kMinCellBytes:
// one shorter transcript).
constexpr std::size_t kMaxShownSamples = 8;
constexpr std::size_t kMaxCompletionBytes = 4000;
constexpr std::size_t kMaxTranscriptBytes = std::size_t{32} << 20;
constexpr std::size_t kMinCellBytes = 1000;
constexpr std::size_t kMaxPromptBytes = 8000;
constexpr std::size_t kMaxAnswerBytes = 300;      // the gold answer cell of a problem table
constexpr std::size_t kMaxFieldBytes = 500;       // extracted answer, reason
constexpr int kNumLengthBins = 30;

struct ShownSample {
  int idx = 0;
  std::string verdict, extracted, reason, completion;
  bool truncated = false;
  std::optional<int64_t> tokens;
};

struct RunCell {  // one problem in one run
  int correct = 0;
  int n = 0;
  int judge_errors = 0;
  std::vector<ShownSample> shown;
  std::size_t shown_bytes = 0;
};

struct Problem {
  std::string task_id;
  std::string answer;
  std::string prompt;
  bool prompt_truncated = false;
  bool has_task = false;       // false while only samples named it
  std::vector<RunCell> cells;  // one per run, in page order
};

struct PackPage {
  std::deque<Problem> problems;  // deque: references stay valid as problems are added
  std::unordered_map<std::string, std::size_t> index;
  std::vector<std::vector<int64_t>> token_lengths, char_lengths;  // per run, per sample
  bool tokens_known = true;      // every sample of the pack carried its completion token count

  Problem& problem(const std::string& task_id, std::size_t num_runs) {
    auto [it, added] = index.try_emplace(task_id, problems.size());
    if (added) {
      problems.push_back({task_id, "", "", false, false, std::vector<RunCell>(num_runs)});
      token_lengths.resize(num_runs);
      char_lengths.resize(num_runs);
    }
    return problems[it->second];
  }
};

using Packs = std::map<std::string, PackPage>;

// At most max_bytes of `text`, cut back to a UTF-8 character boundary.
std::string clip(std::string_view text, std::size_t max_bytes, bool* truncated = nullptr) {
  if (truncated) *truncated = text.size() > max_bytes;
  if (text.size() <= max_bytes) return std::string(text);
  std::size_t end = max_bytes;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return std::string(text.substr(0, end));
}

std::string html(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

// JSON safe inside <script type="application/json">: '<' only occurs in strings, where \u003c
// means the same, so no "</script" or "<!--" can reach the HTML parser. Invalid UTF-8 in model
// output becomes U+FFFD.
std::string script_json(const nlohmann::json& value) {
  std::string text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string out;
  out.reserve(text.size() + 64);
  for (char c : text) {
    if (c == '<') out += "\\u003c"; else out += c;
  }
  return out;
}

// The chart library, inlined; "</script" is written as "<\/script" (the same to JavaScript),
// and the source-map comment is dropped (the map is not shipped).
std::string inline_chart_js() {
  std::string_view src = chart_js_source();
  if (auto map = src.rfind("//# sourceMappingURL="); map != std::string_view::npos) src = src.substr(0, map);
  std::string out;
  out.reserve(src.size());
  for (std::size_t i = 0; i < src.size(); ++i) {
    out += src[i];
    if (src[i] == '<' && i + 1 < src.size() && src[i + 1] == '/') out += '\\';
  }
  return out;
}

void fill_task(Problem& p, const std::string& task_json) {
  p.has_task = true;
  auto task = nlohmann::json::parse(task_json, nullptr, /*allow_exceptions=*/false);
  if (!task.is_object()) {
    p.prompt = "(the stored task JSON is unreadable)";
    return;
  }
  auto text_of = [](const nlohmann::json& v) {
    return v.is_string() ? v.get<std::string>() : v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  };
  if (task.contains("answer")) p.answer = clip(text_of(task["answer"]), kMaxAnswerBytes);
  std::string prompt = task.contains("prompt") ? text_of(task["prompt"]) : "";
  if (task.contains("choices") && task["choices"].is_array()) {
    char letter = 'A';
    for (const auto& choice : task["choices"]) prompt += fmt::format("\n({}) {}", letter++, text_of(choice));
  }
  p.prompt = clip(prompt, kMaxPromptBytes, &p.prompt_truncated);
}

// Adds a run's tasks to the page; returns how many there were.
Result<std::size_t> collect_tasks(Store& store, int64_t run_id, std::size_t num_runs, Packs& packs) {
  auto tasks = store.tasks(run_id);
  R1B_RETURN_IF_ERROR(tasks);
  for (const TaskRow& t : *tasks) {
    Problem& p = packs[t.pack].problem(t.task_id, num_runs);
    if (!p.has_task) fill_task(p, t.task_json);
  }
  return tasks->size();
}

// One streamed pass over a run's samples; only the per-problem counts, the first samples (up to
// `cell_budget` bytes of completions per problem) and the lengths are kept. The Store cuts each
// text field at kMaxCompletionBytes on a UTF-8 boundary; clipping that prefix again at any
// max_bytes <= kMaxCompletionBytes gives the same text as clipping the whole field, so the page is
// the same as from full rows (sizes, "truncated" and lengths come from the whole completion).
Status collect_samples(Store& store, int64_t run_id, std::size_t run_pos, std::size_t num_runs,
                       std::size_t cell_budget, Packs& packs) {
  static_assert(kMaxFieldBytes <= kMaxCompletionBytes);
  PackPage* page = nullptr;
  Problem* problem = nullptr;
  std::string pack;  // the pack of `page`
  // Runs under the Store's lock: touches only `packs`, never the Store.
  return store.for_each_sample(run_id, kMaxCompletionBytes, [&](const StreamedSample& streamed) {
    const SampleRow& s = streamed.row;  // ordered by pack and task: look each problem up once
    if (!problem || pack != s.pack || problem->task_id != s.task_id) {
      if (!page || pack != s.pack) {
        pack = s.pack;
        page = &packs[s.pack];
      }
      problem = &page->problem(s.task_id, num_runs);
    }
    RunCell& cell = problem->cells[run_pos];
    cell.n += 1;
    cell.correct += s.correct ? 1 : 0;
    cell.judge_errors += s.verdict == "judge_error" ? 1 : 0;
    const std::size_t max_bytes = std::min(kMaxCompletionBytes, cell_budget);
    const auto completion_bytes = static_cast<std::size_t>(streamed.completion_bytes);
    if (cell.shown.size() < kMaxShownSamples &&
        cell.shown_bytes + std::min(completion_bytes, max_bytes) <= cell_budget) {
      ShownSample shown{s.sample_idx, s.verdict, clip(s.extracted, kMaxFieldBytes), clip(s.reason, kMaxFieldBytes),
                        clip(s.completion, max_bytes), completion_bytes > max_bytes, s.completion_tokens};
      cell.shown_bytes += shown.completion.size();
      cell.shown.push_back(std::move(shown));
    }
    page->tokens_known = page->tokens_known && s.completion_tokens.has_value();
    page->token_lengths[run_pos].push_back(s.completion_tokens.value_or(0));
    page->char_lengths[run_pos].push_back(streamed.completion_chars);
  });
}

std::string run_label(const RunInfo& r) { return "#" + std::to_string(r.run_id) + " " + r.name; }

std::string metric_cell(const char* cls, const RunSummary& r, const std::string& pack,
                        const std::optional<MetricValue>& v, int k) {
  std::string attrs = fmt::format("class=\"{}\" data-run=\"{}\" data-pack=\"{}\"", cls, r.run.run_id, html(pack));
  if (!v) return fmt::format("<td {} data-value=\"\">–</td>", attrs);
  std::string ci = v->ci_low && v->ci_high
                       ? fmt::format(" <small>[{:.1f}, {:.1f}]</small>", 100 * *v->ci_low, 100 * *v->ci_high)
                       : "";
  return fmt::format("<td {} data-value=\"{}\" title=\"k={}\">{:.1f}{}</td>", attrs, v->value, k, 100 * v->value, ci);
}

std::string leaderboard(const std::vector<RunSummary>& runs) {
  std::set<std::string> packs;
  for (const RunSummary& r : runs) for (const PackSummary& p : r.packs) packs.insert(p.pack);
  std::string out = "<table id=\"leaderboard\" class=\"sortable\"><thead><tr><th>run</th><th>name</th>"
                    "<th>model</th><th>backend</th><th>date</th>";
  for (const std::string& pack : packs) {
    std::string name = pack == "*" ? "(all)" : html(pack);
    out += fmt::format("<th>{0} pass@1</th><th>{0} cons@n</th><th>{0} pass@n</th>", name);
  }
  out += "</tr></thead><tbody>\n";
  for (const RunSummary& r : runs) {
    std::string date = r.run.started_at.substr(0, 16);
    std::replace(date.begin(), date.end(), 'T', ' ');
    out += fmt::format("<tr data-run=\"{0}\"><td data-value=\"{0}\">{0}</td><td>{1}</td><td>{2}</td><td>{3}</td><td>{4}</td>",
                       r.run.run_id, html(r.run.name), html(r.run.model), html(r.run.backend), html(date));
    for (const std::string& pack : packs) {
      auto it = std::find_if(r.packs.begin(), r.packs.end(), [&](const PackSummary& p) { return p.pack == pack; });
      PackSummary none;
      const PackSummary& p = it == r.packs.end() ? none : *it;
      out += metric_cell("pass1", r, pack, p.pass_at_1, 1);
      out += metric_cell("consn", r, pack, p.cons_at_n, p.cons_k);
      out += metric_cell("passn", r, pack, p.pass_at_n, p.num_samples_per_problem);
    }
    out += "</tr>\n";
  }
  return out + "</tbody></table>\n";
}

nlohmann::json length_histogram(const std::vector<RunSummary>& runs, const PackPage& page) {
  const auto& lengths = page.tokens_known ? page.token_lengths : page.char_lengths;
  int64_t max_len = 1;
  for (const auto& run : lengths) for (int64_t v : run) max_len = std::max(max_len, v);
  // Bin width: the smallest 1, 2 or 5 x 10^j giving at most kNumLengthBins bins.
  int64_t width = 1;
  for (int64_t scale = 1; width * kNumLengthBins <= max_len; scale *= 10) {
    for (int64_t step : {1, 2, 5}) {
      width = step * scale;
      if (width * kNumLengthBins > max_len) break;
    }
  }
  const auto num_bins = static_cast<std::size_t>(max_len / width + 1);
  nlohmann::json edges = nlohmann::json::array();
  for (std::size_t i = 0; i <= num_bins; ++i) edges.push_back(static_cast<int64_t>(i) * width);
  nlohmann::json series = nlohmann::json::array();
  for (std::size_t r = 0; r < lengths.size(); ++r) {
    if (lengths[r].empty()) continue;
    std::vector<int64_t> counts(num_bins, 0);
    for (int64_t v : lengths[r]) counts[static_cast<std::size_t>(std::max<int64_t>(v, 0) / width)] += 1;
    series.push_back({{"run", runs[r].run.run_id}, {"counts", counts}});
  }
  return {{"unit", page.tokens_known ? "tokens" : "characters"}, {"edges", edges}, {"series", series}};
}

std::string chart_data(const std::vector<RunSummary>& runs, const Packs& packs) {
  nlohmann::json data = {{"runs", nlohmann::json::array()}, {"packs", nlohmann::json::array()}};
  std::set<std::string> names;
  for (const auto& [name, page] : packs) names.insert(name);
  for (const RunSummary& r : runs) {
    data["runs"].push_back({{"id", r.run.run_id}, {"label", run_label(r.run)}});
    for (const PackSummary& p : r.packs) if (p.pack != "*") names.insert(p.pack);
  }
  for (const std::string& name : names) {
    nlohmann::json passk = nlohmann::json::array();
    for (const RunSummary& r : runs) {
      for (const PackSummary& p : r.packs) {
        if (p.pack == name && !p.pass_curve.empty()) passk.push_back({{"run", r.run.run_id}, {"points", p.pass_curve}});
      }
    }
    auto page = packs.find(name);
    nlohmann::json lengths = page == packs.end()
        ? nlohmann::json{{"unit", "tokens"}, {"edges", nlohmann::json::array()}, {"series", nlohmann::json::array()}}
        : length_histogram(runs, page->second);
    data["packs"].push_back({{"pack", name}, {"passk", passk}, {"lengths", lengths}});
  }
  return script_json(data);
}

nlohmann::json problem_json(const std::vector<RunSummary>& runs, const Problem& p) {
  nlohmann::json cells = nlohmann::json::array();
  for (std::size_t r = 0; r < runs.size(); ++r) {
    const RunCell& cell = p.cells[r];
    if (cell.n == 0) continue;
    nlohmann::json samples = nlohmann::json::array();
    for (const ShownSample& s : cell.shown) {
      samples.push_back({{"idx", s.idx}, {"verdict", s.verdict}, {"extracted", s.extracted}, {"reason", s.reason},
                         {"tokens", s.tokens ? nlohmann::json(*s.tokens) : nlohmann::json(nullptr)},
                         {"completion", s.completion}, {"truncated", s.truncated}});
    }
    cells.push_back({{"run", runs[r].run.run_id}, {"correct", cell.correct}, {"n", cell.n}, {"samples", samples}});
  }
  return {{"prompt", p.prompt}, {"prompt_truncated", p.prompt_truncated}, {"runs", cells}};
}

void write_pack(std::ostream& out, const std::vector<RunSummary>& runs, const std::string& name,
                const PackPage& page, std::size_t pack_index) {
  out << fmt::format("<details class=\"pack\" data-pack=\"{0}\"><summary>{0} — {1} problems</summary>\n"
                     "<table class=\"problems sortable\" data-pack=\"{0}\" data-pack-index=\"{2}\"><thead><tr>"
                     "<th>task</th><th>gold answer</th>",
                     html(name), page.problems.size(), pack_index);
  for (const RunSummary& r : runs) out << "<th>" << html(run_label(r.run)) << "</th>";
  out << "</tr></thead><tbody>\n";
  nlohmann::json problems = nlohmann::json::array();
  for (std::size_t i = 0; i < page.problems.size(); ++i) {
    const Problem& p = page.problems[i];
    out << fmt::format("<tr class=\"problem\" data-index=\"{}\" data-task=\"{}\"><td>{}</td><td>{}</td>", i,
                       html(p.task_id), html(p.task_id), html(p.answer));
    for (std::size_t r = 0; r < runs.size(); ++r) {
      const RunCell& c = p.cells[r];
      if (c.n == 0) {
        out << "<td class=\"cell\" data-value=\"\">–</td>";
        continue;
      }
      std::string judge = c.judge_errors ? fmt::format(" <small>({} judge errors)</small>", c.judge_errors) : "";
      out << fmt::format("<td class=\"cell\" data-run=\"{}\" data-value=\"{}\">{}/{}{}</td>", runs[r].run.run_id,
                         static_cast<double>(c.correct) / c.n, c.correct, c.n, judge);
    }
    out << "</tr>\n";
    problems.push_back(problem_json(runs, p));
  }
  out << "</tbody></table>\n<script type=\"application/json\" class=\"pack-data\" data-pack-index=\"" << pack_index
      << "\">" << script_json({{"problems", std::move(problems)}}) << "</script>\n</details>\n";
}

std::string utc_now() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", &tm);
  return text;
}

}  // namespace

Status write_report_html(Store& store, std::span<const int64_t> run_ids, const std::string& path) {
  auto runs = summarize_runs(store, run_ids);
  R1B_RETURN_IF_ERROR(runs);
  Packs packs;
  std::size_t num_cells = 0;  // (problem, run) pairs
  for (const RunSummary& r : *runs) {
    auto num_tasks = collect_tasks(store, r.run.run_id, runs->size(), packs);
    R1B_RETURN_IF_ERROR(num_tasks);
    num_cells += *num_tasks;
  }
  const std::size_t cell_budget = std::clamp(kMaxTranscriptBytes / std::max<std::size_t>(num_cells, 1), kMinCellBytes,
                                             kMaxShownSamples * kMaxCompletionBytes);
  for (std::size_t r = 0; r < runs->size(); ++r) {
    R1B_RETURN_IF_ERROR(collect_samples(store, (*runs)[r].run.run_id, r, runs->size(), cell_budget, packs));
  }

  const std::string tmp = path + ".tmp";
  const std::filesystem::path folder = std::filesystem::path(path).parent_path();
  std::error_code folder_error;
  if (!folder.empty()) std::filesystem::create_directories(folder, folder_error);
  if (folder_error) {
    return Status::io_error("cannot create the folder of report " + path + ": " + folder_error.message());
  }
  std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
  if (!out) return Status::io_error("cannot write report " + tmp + ": " + std::strerror(errno));
  out << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
         "<title>r1bench leaderboard</title><style>"
      << kPageStyle << "</style></head>\n<body data-rendered=\"no\">\n<h1>r1bench leaderboard</h1>\n"
      << fmt::format("<p class=\"meta\">{} runs · {} packs · generated {}</p>\n", runs->size(), packs.size(), utc_now())
      << "<p class=\"hint\">pass@1, cons@n and pass@n in percent; pass@1 with its 95% bootstrap interval. "
         "Click a header to sort.</p>\n"
      << "<div class=\"scroll\">" << leaderboard(*runs) << "</div>\n<h2>Charts</h2>\n<div id=\"charts\"></div>\n<h2>Problems</h2>\n"
      << "<p class=\"hint\">Click a problem to see its prompt and samples.</p>\n";
  std::size_t pack_index = 0;
  for (const auto& [name, page] : packs) write_pack(out, *runs, name, page, pack_index++);
  out << "<script type=\"application/json\" id=\"chart-data\">" << chart_data(*runs, packs) << "</script>\n<script>"
      << inline_chart_js() << "</script>\n<script>" << kPageScript << "</script>\n</body></html>\n";
  out.close();
  if (!out) return Status::io_error("cannot write report " + tmp + ": " + std::strerror(errno) + " (disk full?)");
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Status::io_error("cannot move report " + tmp + " to " + path + ": " + ec.message());
  return Status::ok();
}

}  // namespace r1b::results
