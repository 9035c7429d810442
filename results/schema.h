// The results database schema, version kSchemaVersion (results/store.h). Private to results/.
// A change to any table is a new version with a migration in store.cpp.
#pragma once

namespace r1b::results {

inline constexpr const char* kSchemaSql = R"sql(
CREATE TABLE IF NOT EXISTS schema_info (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
  run_id           INTEGER PRIMARY KEY AUTOINCREMENT,
  name             TEXT NOT NULL,
  suite_json       TEXT NOT NULL,
  model            TEXT NOT NULL,
  backend          TEXT NOT NULL,
  template_name    TEXT NOT NULL,
  template_text    TEXT NOT NULL,
  git_sha          TEXT NOT NULL,
  hardware         TEXT NOT NULL,
  verifier_version TEXT NOT NULL,
  seed             INTEGER NOT NULL,
  parent_run_id    INTEGER REFERENCES runs(run_id),
  status           TEXT NOT NULL,
  started_at       TEXT NOT NULL,
  finished_at      TEXT NOT NULL DEFAULT '',
  notes            TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS run_tasks (
  run_id    INTEGER NOT NULL REFERENCES runs(run_id),
  pack      TEXT NOT NULL,
  task_id   TEXT NOT NULL,
  task_json TEXT NOT NULL,
  PRIMARY KEY (run_id, pack, task_id)
);
CREATE TABLE IF NOT EXISTS samples (
  run_id            INTEGER NOT NULL REFERENCES runs(run_id),
  pack              TEXT NOT NULL,
  task_id           TEXT NOT NULL,
  sample_idx        INTEGER NOT NULL,
  completion        TEXT NOT NULL,
  extracted         TEXT NOT NULL,
  verdict           TEXT NOT NULL,
  correct           INTEGER NOT NULL,
  reward            REAL NOT NULL,
  reason            TEXT NOT NULL,
  prompt_tokens     INTEGER,
  completion_tokens INTEGER,
  latency_ms        REAL NOT NULL,
  finish_reason     TEXT NOT NULL,
  details_json      TEXT NOT NULL,
  graded_at         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  PRIMARY KEY (run_id, pack, task_id, sample_idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS metrics (
  run_id       INTEGER NOT NULL REFERENCES runs(run_id),
  pack         TEXT NOT NULL,
  slice        TEXT NOT NULL,
  metric       TEXT NOT NULL,
  k            INTEGER NOT NULL,
  value        REAL NOT NULL,
  ci_low       REAL,
  ci_high      REAL,
  num_problems INTEGER NOT NULL,
  PRIMARY KEY (run_id, pack, slice, metric, k)
);
)sql";

}  // namespace r1b::results
