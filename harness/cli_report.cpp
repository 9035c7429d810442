// `r1bench report`: the HTML leaderboard page and a Markdown or JSON summary for CI logs.
#include <iostream>

#include <fmt/core.h>

#include "harness/commands.h"
#include "results/report_html.h"
#include "results/store.h"
#include "results/summary.h"

namespace r1b::harness {

namespace {
struct ReportFlags {
  std::string db = "out/r1bench.db";
  std::string out = "out/report.html";
  std::vector<int64_t> runs;
  bool json = false;
  bool list = false;
};

int report(const ReportFlags& f) {
  auto store = results::Store::open(f.db);
  if (!store.is_ok()) {
    std::cerr << "r1bench: " << store.status().message() << "\n";
    return 2;
  }
  if (f.list) {
    auto runs = (*store)->runs();
    if (!runs.is_ok()) {
      std::cerr << "r1bench: " << runs.status().message() << "\n";
      return 2;
    }
    for (const auto& r : *runs) {
      std::cout << fmt::format("{:>5}  {:<10} {:<20} {:<24} {}  {}\n", r.run_id, r.status, r.name, r.model, r.started_at,
                               r.backend);
    }
    return 0;
  }
  for (int64_t id : f.runs) {
    auto run = (*store)->run(id);
    if (!run.is_ok()) {
      std::cerr << "r1bench: --runs: " << run.status().message() << "\n";
      return 2;
    }
  }
  Status s = results::write_report_html(**store, f.runs, f.out);
  if (!s.is_ok()) {
    std::cerr << "r1bench: report: " << s.message() << "\n";
    return 2;
  }
  if (f.json) {
    auto j = results::summary_json(**store, f.runs);
    if (!j.is_ok()) {
      std::cerr << "r1bench: " << j.status().message() << "\n";
      return 2;
    }
    std::cout << j->dump(2) << "\n";
  } else {
    auto md = results::summary_markdown(**store, f.runs);
    if (!md.is_ok()) {
      std::cerr << "r1bench: " << md.status().message() << "\n";
      return 2;
    }
    std::cout << *md << "report: " << f.out << "\n";
  }
  return 0;
}
}  // namespace

void add_report_command(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<ReportFlags>();
  CLI::App* cmd = app.add_subcommand("report", "write the HTML leaderboard and print a summary of runs");
  cmd->add_option("--db", flags->db, "results database")->capture_default_str();
  cmd->add_option("--out", flags->out, "HTML page to write")->capture_default_str();
  cmd->add_option("--runs", flags->runs, "run ids to include (default: all)")->delimiter(',');
  cmd->add_flag("--json", flags->json, "print the summary as JSON instead of Markdown");
  cmd->add_flag("--list", flags->list, "list the runs in the database and exit");
  cmd->callback([flags, &exit_code] { exit_code = report(*flags); });
}

}  // namespace r1b::harness
