// ConfigReader: typed access to config.json keys that keeps the first error (private to model/).
//
// Each getter returns the value, or a default after recording an InvalidInput error naming the
// file and key; status() reports the first error. Lets an architecture read its keys in a list
// and check once. Not thread-safe (a local helper).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>

#include "base/status.h"

namespace r1b::model {

class ConfigReader {
 public:
  // `where` names the source in errors (e.g. "/ckpt/config.json").
  ConfigReader(const nlohmann::json& json, std::string where) : json_(json), where_(std::move(where)) {}

  // Required keys.
  int64_t integer(const std::string& key);
  double number(const std::string& key);
  // Optional keys: `fallback` when absent or null.
  int64_t integer_or(const std::string& key, int64_t fallback);
  double number_or(const std::string& key, double fallback);
  bool boolean_or(const std::string& key, bool fallback);
  std::string string_or(const std::string& key, const std::string& fallback);
  // Absent or null -> nullopt.
  std::optional<int64_t> optional_integer(const std::string& key);

  // Records an error about `key` (for checks beyond the type, e.g. divisibility).
  void fail(const std::string& key, const std::string& what);
  const Status& status() const { return status_; }
  const std::string& where() const { return where_; }

 private:
  const nlohmann::json* lookup(const std::string& key) const;
  const nlohmann::json& json_;
  std::string where_;
  Status status_;
};

}  // namespace r1b::model
