#include "results/store.h"

#include <SQLiteCpp/SQLiteCpp.h>

#include <algorithm>
#include <filesystem>
#include <string_view>

#include "results/schema.h"

namespace r1b::results {

namespace {

// SQLiteCpp reports failures by throwing; every public method converts them here.
template <typename Fn>
auto guarded(const char* what, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const std::exception& e) {
    return Status::io_error(std::string("results database: ") + what + ": " + e.what());
  }
}

std::optional<int64_t> nullable_int(const SQLite::Column& c) {
  return c.isNull() ? std::nullopt : std::optional<int64_t>(c.getInt64());
}
std::optional<double> nullable_double(const SQLite::Column& c) {
  return c.isNull() ? std::nullopt : std::optional<double>(c.getDouble());
}
template <typename T>
void bind_optional(SQLite::Statement& st, int index, const std::optional<T>& value) {
  if (value) st.bind(index, *value); else st.bind(index);
}

// The text of a column without a copy; valid until the statement steps or is reset.
std::string_view text_view(const SQLite::Column& c) {
  const char* text = c.getText();  // before getBytes(), as SQLite asks
  return {text, static_cast<std::size_t>(c.getBytes())};
}

// `out` = at most max_bytes of `text`, backed off to a UTF-8 character boundary (reuses out's buffer).
void assign_cut(std::string& out, std::string_view text, std::size_t max_bytes) {
  std::size_t end = text.size();
  if (end > max_bytes) {
    end = max_bytes;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  }
  out.assign(text.data(), end);
}

int64_t count_code_points(std::string_view text) {
  return std::count_if(text.begin(), text.end(),
                       [](char byte) { return (static_cast<unsigned char>(byte) & 0xC0) != 0x80; });
}

constexpr const char* kSampleQuery =
    "SELECT pack, task_id, sample_idx, completion, extracted, verdict, correct, reward, reason, prompt_tokens, "
    "completion_tokens, latency_ms, finish_reason, details_json FROM samples WHERE run_id = ? "
    "ORDER BY pack, task_id, sample_idx";

constexpr const char* kRunColumns =
    "run_id, name, suite_json, model, backend, template_name, template_text, git_sha, hardware, "
    "verifier_version, seed, parent_run_id, status, started_at, finished_at, notes";

RunInfo run_from_row(SQLite::Statement& st) {
  RunInfo r;
  r.run_id = st.getColumn(0).getInt64();
  r.name = st.getColumn(1).getString();
  r.suite_json = st.getColumn(2).getString();
  r.model = st.getColumn(3).getString();
  r.backend = st.getColumn(4).getString();
  r.template_name = st.getColumn(5).getString();
  r.template_text = st.getColumn(6).getString();
  r.git_sha = st.getColumn(7).getString();
  r.hardware = st.getColumn(8).getString();
  r.verifier_version = st.getColumn(9).getString();
  r.seed = st.getColumn(10).getInt64();
  r.parent_run_id = nullable_int(st.getColumn(11));
  r.status = st.getColumn(12).getString();
  r.started_at = st.getColumn(13).getString();
  r.finished_at = st.getColumn(14).getString();
  r.notes = st.getColumn(15).getString();
  return r;
}

}  // namespace

Store::Store(std::unique_ptr<SQLite::Database> db) : db_(std::move(db)) {}
Store::~Store() = default;

Result<std::unique_ptr<Store>> Store::open(const std::string& path) {
  std::error_code ec;
  auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (ec) return Status::io_error("cannot create folder " + parent.string() + ": " + ec.message());
  try {
    auto db = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db->setBusyTimeout(10000);
    // 16 KiB pages (new files only: an existing file keeps its page size). samples is a WITHOUT
    // ROWID table, whose b-tree keeps at most ~1/4 of a page of a row inline: with the default
    // 4 KiB pages every ~2 KB completion spilled into an overflow page (about 4.7 KB per row on
    // disk), with 16 KiB pages it stays inline (about 2.4 KB per row); writes and full reads are
    // about twice as fast (bench/store_bench.cpp, docs/performance.md). Must precede the switch to WAL.
    db->exec("PRAGMA page_size=16384");
    db->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
    SQLite::Transaction tx(*db);
    db->exec(kSchemaSql);
    SQLite::Statement get(*db, "SELECT value FROM schema_info WHERE key='schema_version'");
    if (get.executeStep()) {
      int version = std::stoi(get.getColumn(0).getString());
      if (version > kSchemaVersion) {
        return Status::invalid_input(path + ": results database has schema version " + std::to_string(version) +
                                     ", newer than this r1bench (" + std::to_string(kSchemaVersion) +
                                     "); upgrade r1bench or use another --db");
      }
    } else {
      SQLite::Statement put(*db, "INSERT INTO schema_info(key, value) VALUES ('schema_version', ?)");
      put.bind(1, std::to_string(kSchemaVersion));
      put.exec();
    }
    tx.commit();
    return std::unique_ptr<Store>(new Store(std::move(db)));
  } catch (const std::exception& e) {
    return Status::io_error(path + ": cannot open results database: " + e.what() +
                            " (is it an r1bench database? pass another --db)");
  }
}

Result<int64_t> Store::create_run(const RunInfo& info) {
  std::lock_guard lock(mu_);
  return guarded("create run", [&]() -> Result<int64_t> {
    SQLite::Statement st(*db_,
        "INSERT INTO runs(name, suite_json, model, backend, template_name, template_text, git_sha, hardware, "
        "verifier_version, seed, parent_run_id, status, started_at, finished_at, notes) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    st.bind(1, info.name);
    st.bind(2, info.suite_json);
    st.bind(3, info.model);
    st.bind(4, info.backend);
    st.bind(5, info.template_name);
    st.bind(6, info.template_text);
    st.bind(7, info.git_sha);
    st.bind(8, info.hardware);
    st.bind(9, info.verifier_version);
    st.bind(10, info.seed);
    bind_optional(st, 11, info.parent_run_id);
    st.bind(12, info.status);
    st.bind(13, info.started_at);
    st.bind(14, info.finished_at);
    st.bind(15, info.notes.empty() ? std::string("{}") : info.notes);
    st.exec();
    return db_->getLastInsertRowid();
  });
}

Result<RunInfo> Store::run(int64_t run_id) {
  std::lock_guard lock(mu_);
  return guarded("read run", [&]() -> Result<RunInfo> {
    SQLite::Statement st(*db_, std::string("SELECT ") + kRunColumns + " FROM runs WHERE run_id = ?");
    st.bind(1, run_id);
    if (!st.executeStep()) {
      return Status::not_found("run " + std::to_string(run_id) + " is not in the results database (list runs with `r1bench report --list`)");
    }
    return run_from_row(st);
  });
}

Result<std::vector<RunInfo>> Store::runs() {
  std::lock_guard lock(mu_);
  return guarded("list runs", [&]() -> Result<std::vector<RunInfo>> {
    SQLite::Statement st(*db_, std::string("SELECT ") + kRunColumns + " FROM runs ORDER BY run_id");
    std::vector<RunInfo> out;
    while (st.executeStep()) out.push_back(run_from_row(st));
    return out;
  });
}

Status Store::finish_run(int64_t run_id, const std::string& status, const std::string& notes_json) {
  std::lock_guard lock(mu_);
  return guarded("finish run", [&]() -> Status {
    SQLite::Statement st(*db_,
        "UPDATE runs SET status = ?, notes = ?, finished_at = strftime('%Y-%m-%dT%H:%M:%SZ','now') WHERE run_id = ?");
    st.bind(1, status);
    st.bind(2, notes_json);
    st.bind(3, run_id);
    if (st.exec() != 1) return Status::not_found("run " + std::to_string(run_id) + " does not exist");
    return Status::ok();
  });
}

Status Store::add_tasks(int64_t run_id, std::span<const TaskRow> tasks) {
  std::lock_guard lock(mu_);
  return guarded("add tasks", [&]() -> Status {
    SQLite::Transaction tx(*db_);
    SQLite::Statement st(*db_, "INSERT OR IGNORE INTO run_tasks(run_id, pack, task_id, task_json) VALUES (?,?,?,?)");
    for (const TaskRow& t : tasks) {
      st.bind(1, run_id);
      st.bind(2, t.pack);
      st.bind(3, t.task_id);
      st.bind(4, t.task_json);
      st.exec();
      st.reset();
    }
    tx.commit();
    return Status::ok();
  });
}

Result<std::vector<TaskRow>> Store::tasks(int64_t run_id) {
  std::lock_guard lock(mu_);
  return guarded("read tasks", [&]() -> Result<std::vector<TaskRow>> {
    SQLite::Statement st(*db_, "SELECT pack, task_id, task_json FROM run_tasks WHERE run_id = ? ORDER BY rowid");
    st.bind(1, run_id);
    std::vector<TaskRow> out;
    while (st.executeStep()) {
      out.push_back({st.getColumn(0).getString(), st.getColumn(1).getString(), st.getColumn(2).getString()});
    }
    return out;
  });
}

Status Store::add_samples(std::span<const SampleRow> samples) {
  std::lock_guard lock(mu_);
  return guarded("write samples", [&]() -> Status {
    SQLite::Transaction tx(*db_);
    SQLite::Statement st(*db_,
        "INSERT INTO samples(run_id, pack, task_id, sample_idx, completion, extracted, verdict, correct, reward, "
        "reason, prompt_tokens, completion_tokens, latency_ms, finish_reason, details_json) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    for (const SampleRow& s : samples) {
      st.bind(1, s.run_id);
      st.bind(2, s.pack);
      st.bind(3, s.task_id);
      st.bind(4, s.sample_idx);
      st.bind(5, s.completion);
      st.bind(6, s.extracted);
      st.bind(7, s.verdict);
      st.bind(8, s.correct ? 1 : 0);
      st.bind(9, s.reward);
      st.bind(10, s.reason);
      bind_optional(st, 11, s.prompt_tokens);
      bind_optional(st, 12, s.completion_tokens);
      st.bind(13, s.latency_ms);
      st.bind(14, s.finish_reason);
      st.bind(15, s.details_json);
      st.exec();
      st.reset();
    }
    tx.commit();
    return Status::ok();
  });
}

Result<std::vector<SampleRow>> Store::samples(int64_t run_id) {
  std::lock_guard lock(mu_);
  return guarded("read samples", [&]() -> Result<std::vector<SampleRow>> {
    SQLite::Statement st(*db_, kSampleQuery);
    st.bind(1, run_id);
    std::vector<SampleRow> out;
    while (st.executeStep()) {
      SampleRow s;
      s.run_id = run_id;
      s.pack = st.getColumn(0).getString();
      s.task_id = st.getColumn(1).getString();
      s.sample_idx = st.getColumn(2).getInt();
      s.completion = st.getColumn(3).getString();
      s.extracted = st.getColumn(4).getString();
      s.verdict = st.getColumn(5).getString();
      s.correct = st.getColumn(6).getInt() != 0;
      s.reward = st.getColumn(7).getDouble();
      s.reason = st.getColumn(8).getString();
      s.prompt_tokens = nullable_int(st.getColumn(9));
      s.completion_tokens = nullable_int(st.getColumn(10));
      s.latency_ms = st.getColumn(11).getDouble();
      s.finish_reason = st.getColumn(12).getString();
      s.details_json = st.getColumn(13).getString();
      out.push_back(std::move(s));
    }
    return out;
  });
}

Status Store::for_each_sample(int64_t run_id, std::size_t max_text_bytes,
                              const std::function<void(const StreamedSample&)>& fn) {
  std::lock_guard lock(mu_);
  return guarded("stream samples", [&]() -> Status {
    SQLite::Statement st(*db_, kSampleQuery);
    st.bind(1, run_id);
    StreamedSample s;  // reused: its strings keep their buffers from row to row
    SampleRow& r = s.row;
    r.run_id = run_id;
    while (st.executeStep()) {
      r.pack.assign(text_view(st.getColumn(0)));
      r.task_id.assign(text_view(st.getColumn(1)));
      r.sample_idx = st.getColumn(2).getInt();
      const std::string_view completion = text_view(st.getColumn(3));
      assign_cut(r.completion, completion, max_text_bytes);
      s.completion_bytes = static_cast<int64_t>(completion.size());
      s.completion_chars = count_code_points(completion);
      assign_cut(r.extracted, text_view(st.getColumn(4)), max_text_bytes);
      r.verdict.assign(text_view(st.getColumn(5)));
      r.correct = st.getColumn(6).getInt() != 0;
      r.reward = st.getColumn(7).getDouble();
      assign_cut(r.reason, text_view(st.getColumn(8)), max_text_bytes);
      r.prompt_tokens = nullable_int(st.getColumn(9));
      r.completion_tokens = nullable_int(st.getColumn(10));
      r.latency_ms = st.getColumn(11).getDouble();
      r.finish_reason.assign(text_view(st.getColumn(12)));
      assign_cut(r.details_json, text_view(st.getColumn(13)), max_text_bytes);
      fn(s);
    }
    return Status::ok();
  });
}

Result<std::set<SampleKey>> Store::graded_keys(int64_t run_id) {
  std::lock_guard lock(mu_);
  return guarded("read graded samples", [&]() -> Result<std::set<SampleKey>> {
    SQLite::Statement st(*db_, "SELECT pack, task_id, sample_idx FROM samples WHERE run_id = ?");
    st.bind(1, run_id);
    std::set<SampleKey> out;
    while (st.executeStep()) {
      out.emplace(st.getColumn(0).getString(), st.getColumn(1).getString(), st.getColumn(2).getInt());
    }
    return out;
  });
}

Result<int64_t> Store::num_samples(int64_t run_id) {
  std::lock_guard lock(mu_);
  return guarded("count samples", [&]() -> Result<int64_t> {
    SQLite::Statement st(*db_, "SELECT COUNT(*) FROM samples WHERE run_id = ?");
    st.bind(1, run_id);
    st.executeStep();
    return st.getColumn(0).getInt64();
  });
}

Status Store::put_metrics(int64_t run_id, std::span<const MetricRow> metrics) {
  std::lock_guard lock(mu_);
  return guarded("write metrics", [&]() -> Status {
    SQLite::Transaction tx(*db_);
    SQLite::Statement del(*db_, "DELETE FROM metrics WHERE run_id = ?");
    del.bind(1, run_id);
    del.exec();
    SQLite::Statement st(*db_,
        "INSERT INTO metrics(run_id, pack, slice, metric, k, value, ci_low, ci_high, num_problems) "
        "VALUES (?,?,?,?,?,?,?,?,?)");
    for (const MetricRow& m : metrics) {
      st.bind(1, run_id);
      st.bind(2, m.pack);
      st.bind(3, m.slice);
      st.bind(4, m.metric);
      st.bind(5, m.k);
      st.bind(6, m.value);
      bind_optional(st, 7, m.ci_low);
      bind_optional(st, 8, m.ci_high);
      st.bind(9, m.num_problems);
      st.exec();
      st.reset();
    }
    tx.commit();
    return Status::ok();
  });
}

Result<std::vector<MetricRow>> Store::metrics(int64_t run_id) {
  std::lock_guard lock(mu_);
  return guarded("read metrics", [&]() -> Result<std::vector<MetricRow>> {
    SQLite::Statement st(*db_,
        "SELECT pack, slice, metric, k, value, ci_low, ci_high, num_problems FROM metrics WHERE run_id = ? "
        "ORDER BY pack, slice, metric, k");
    st.bind(1, run_id);
    std::vector<MetricRow> out;
    while (st.executeStep()) {
      MetricRow m;
      m.run_id = run_id;
      m.pack = st.getColumn(0).getString();
      m.slice = st.getColumn(1).getString();
      m.metric = st.getColumn(2).getString();
      m.k = st.getColumn(3).getInt();
      m.value = st.getColumn(4).getDouble();
      m.ci_low = nullable_double(st.getColumn(5));
      m.ci_high = nullable_double(st.getColumn(6));
      m.num_problems = st.getColumn(7).getInt64();
      out.push_back(std::move(m));
    }
    return out;
  });
}

}  // namespace r1b::results
