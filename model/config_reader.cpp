#include "model/config_reader.h"

namespace r1b::model {

const nlohmann::json* ConfigReader::lookup(const std::string& key) const {
  if (!json_.is_object() || !json_.contains(key) || json_[key].is_null()) return nullptr;
  return &json_[key];
}

void ConfigReader::fail(const std::string& key, const std::string& what) {
  if (status_.is_ok()) status_ = Status::invalid_input(where_ + ": key '" + key + "' " + what);
}

int64_t ConfigReader::integer(const std::string& key) {
  const nlohmann::json* value = lookup(key);
  if (value == nullptr || !value->is_number_integer()) {
    fail(key, "is missing or not an integer");
    return 0;
  }
  return value->get<int64_t>();
}

double ConfigReader::number(const std::string& key) {
  const nlohmann::json* value = lookup(key);
  if (value == nullptr || !value->is_number()) {
    fail(key, "is missing or not a number");
    return 0.0;
  }
  return value->get<double>();
}

int64_t ConfigReader::integer_or(const std::string& key, int64_t fallback) {
  return lookup(key) == nullptr ? fallback : integer(key);
}

double ConfigReader::number_or(const std::string& key, double fallback) {
  return lookup(key) == nullptr ? fallback : number(key);
}

bool ConfigReader::boolean_or(const std::string& key, bool fallback) {
  const nlohmann::json* value = lookup(key);
  if (value == nullptr) return fallback;
  if (!value->is_boolean()) {
    fail(key, "is not true or false");
    return fallback;
  }
  return value->get<bool>();
}

std::string ConfigReader::string_or(const std::string& key, const std::string& fallback) {
  const nlohmann::json* value = lookup(key);
  if (value == nullptr) return fallback;
  if (!value->is_string()) {
    fail(key, "is not a string");
    return fallback;
  }
  return value->get<std::string>();
}

std::optional<int64_t> ConfigReader::optional_integer(const std::string& key) {
  if (lookup(key) == nullptr) return std::nullopt;
  return integer(key);
}

}  // namespace r1b::model
