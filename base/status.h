// Status and Result<T>: how fallible calls report failure across the project.
//
// Every boundary (file, flag, network, model output) returns a Status or a Result<T>
// instead of throwing or returning magic values. The message is written for the user:
// what failed, where (file:line, flag or task id), and what to do about it.
// Both types are plain values: copyable, thread-compatible (no shared state).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <variant>

namespace r1b {

enum class StatusCode {
  kOk = 0,
  kInvalidInput,  // bad user input: flag, suite, pack file, request
  kNotFound,      // a named file, run or task does not exist
  kIOError,       // the OS refused a read or write
  kUnavailable,   // a remote peer failed or timed out (may succeed on retry)
  kInternal,      // a dependency misbehaved in a way the caller cannot fix
};

class Status {
 public:
  Status() = default;  // OK
  static Status ok() { return Status(); }
  static Status invalid_input(std::string msg) { return {StatusCode::kInvalidInput, std::move(msg)}; }
  static Status not_found(std::string msg) { return {StatusCode::kNotFound, std::move(msg)}; }
  static Status io_error(std::string msg) { return {StatusCode::kIOError, std::move(msg)}; }
  static Status unavailable(std::string msg) { return {StatusCode::kUnavailable, std::move(msg)}; }
  static Status internal(std::string msg) { return {StatusCode::kInternal, std::move(msg)}; }

  bool is_ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Returns a copy whose message is "context: message" (used to add file:line or task id).
  Status with_context(const std::string& context) const {
    return is_ok() ? *this : Status(code_, context + ": " + message_);
  }

 private:
  Status(StatusCode code, std::string msg) : code_(code), message_(std::move(msg)) {}
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// A value or the Status explaining why there is none. Accessing value() of an error is
// an invariant violation (checked).
template <typename T>
class Result {
 public:
  Result(T value) : data_(std::move(value)) {}              // NOLINT: implicit by design
  Result(Status status) : data_(std::move(status)) {        // NOLINT: implicit by design
    if (std::get<Status>(data_).is_ok()) {
      data_ = Status::internal("Result constructed from an OK status without a value");
    }
  }

  bool is_ok() const { return std::holds_alternative<T>(data_); }
  const Status& status() const {
    static const Status kOk;
    return is_ok() ? kOk : std::get<Status>(data_);
  }
  T& value() & { check_ok(); return std::get<T>(data_); }
  const T& value() const& { check_ok(); return std::get<T>(data_); }
  T&& value() && { check_ok(); return std::get<T>(std::move(data_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  void check_ok() const {
    if (!is_ok()) {
      std::fprintf(stderr, "r1bench: internal error: value() of failed Result: %s\n",
                   std::get<Status>(data_).message().c_str());
      std::abort();
    }
  }
  std::variant<T, Status> data_;
};

}  // namespace r1b

namespace r1b {
inline const Status& status_of(const Status& s) { return s; }
template <typename T>
const Status& status_of(const Result<T>& r) { return r.status(); }
}  // namespace r1b

// Returns the failed Status of `expr` (a Status or Result) from the enclosing function.
#define R1B_RETURN_IF_ERROR(expr)                                   \
  do {                                                              \
    const auto& r1b_checked_ = (expr);                              \
    if (!r1b_checked_.is_ok()) return ::r1b::status_of(r1b_checked_); \
  } while (0)

// Aborting check for broken invariants only (never for user input or model output).
#define R1B_CHECK(cond)                                                              \
  do {                                                                               \
    if (!(cond)) {                                                                   \
      std::fprintf(stderr, "r1bench: check failed: %s at %s:%d\n", #cond, __FILE__, __LINE__); \
      std::abort();                                                                  \
    }                                                                                \
  } while (0)
