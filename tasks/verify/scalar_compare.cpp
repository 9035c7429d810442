#include "tasks/verify/scalar_compare.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>

#include "tasks/verify/exact_value.h"
#include "tasks/verify/numeric_value.h"
#include "tasks/verify/symbolic_compare.h"

namespace r1b::tasks::verifier {

namespace {

constexpr size_t kMaxSymbols = 12;
constexpr int kFastProbes = 3;
// A floating-point difference this large (relative) is a real difference, not round-off...
constexpr long double kRejectRelative = 1e-5L;
// ...unless the values are this small relative to an intermediate (cancellation).
constexpr long double kCancellation = 1e-9L;

enum class Fast { kDiffer, kUnsure };

Fast numeric_probe(const Node& a, const Node& b) {
  std::vector<std::string> names = symbol_names(a);
  for (auto& n : symbol_names(b)) names.push_back(n);
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  if (names.size() > kMaxSymbols) return Fast::kUnsure;
  int count = names.empty() ? 1 : kFastProbes;
  for (const auto& point : probe_points(names, count)) {
    NumericValue va = numeric_value(a, point);
    NumericValue vb = numeric_value(b, point);
    if (!va.ok || !vb.ok) continue;
    long double diff = std::abs(va.value - vb.value);
    long double mag = std::max(std::abs(va.value), std::abs(vb.value));
    long double scale = std::max(va.scale, vb.scale);
    if (diff > kRejectRelative * mag && mag > kCancellation * scale) return Fast::kDiffer;
  }
  return Fast::kUnsure;
}

// Half a unit in the last written digit of a lone decimal literal ("0.333" -> 0.0005,
// "6.72e-5" -> 5e-8); nullopt when the node is not one.
std::optional<mpq_class> rounding_bound(const Node& n) {
  if (n.kind != NodeKind::kNumber || !n.is_decimal || !n.rep_digits.empty()) return std::nullopt;
  int64_t exponent = n.exp10 - static_cast<int64_t>(n.frac_digits.size());
  if (exponent > 4000 || exponent < -4000) return std::nullopt;
  mpz_class ten_power;
  mpz_ui_pow_ui(ten_power.get_mpz_t(), 10, static_cast<unsigned long>(exponent < 0 ? -exponent : exponent));
  mpq_class unit = exponent < 0 ? mpq_class(1, ten_power) : mpq_class(ten_power);
  unit.canonicalize();
  return unit / 2;
}

// Decimal tolerance: relative kDecimalRelTolerance, and within the rounding of the written digits
// when one side is a lone decimal (the tighter bound when both are).
struct DecimalBound {
  std::optional<mpq_class> absolute;
};

DecimalBound decimal_bound(const Node& a, const Node& b) {
  DecimalBound bound;
  auto ra = rounding_bound(a), rb = rounding_bound(b);
  if (ra && rb) bound.absolute = std::min(*ra, *rb);
  else if (ra) bound.absolute = ra;
  else if (rb) bound.absolute = rb;
  return bound;
}

bool within_decimal_tolerance(const mpq_class& a, const mpq_class& b, const DecimalBound& bound) {
  mpq_class diff = abs(a - b);
  mpq_class mag = std::max(abs(a), abs(b));
  // diff <= 1e-6 * mag, exactly.
  if (diff * 1000000 > mag) return false;
  return !bound.absolute || diff <= *bound.absolute;
}

}  // namespace

bool same_scalar(const Node& a, const Node& b) {
  if (to_string(a) == to_string(b)) return true;
  // 204_5 is answered by 204_5, 204_{5} or its digits 204, not by its value 54.
  if (a.kind == NodeKind::kNumber && b.kind == NodeKind::kNumber && a.base_subscript != b.base_subscript) {
    const Node& based = a.base_subscript ? a : b;
    const Node& plain = a.base_subscript ? b : a;
    if (based.base != 10) {
      return plain.frac_digits.empty() && plain.rep_digits.empty() && plain.exp10 == 0 &&
             plain.int_digits == based.int_digits;
    }
  }
  if (has_kind(a, NodeKind::kInfinity) || has_kind(b, NodeKind::kInfinity)) return false;
  bool decimal = has_decimal_literal(a) || has_decimal_literal(b);
  ExactValue ea = exact_value(a);
  ExactValue eb = exact_value(b);
  DecimalBound bound = decimal_bound(a, b);
  if (ea.status == ExactStatus::kOk && eb.status == ExactStatus::kOk) {
    if (ea.value == eb.value) return true;
    return decimal && within_decimal_tolerance(ea.value, eb.value, bound);
  }
  if (ea.status == ExactStatus::kTooLarge || eb.status == ExactStatus::kTooLarge ||
      ea.status == ExactStatus::kUndefined || eb.status == ExactStatus::kUndefined) {
    return false;  // cannot be decided within bounds: not equal
  }
  if (numeric_probe(a, b) == Fast::kDiffer) return false;
  Tolerance tol;
  if (decimal) {
    tol.relative = kDecimalRelTolerance;
    if (bound.absolute) tol.absolute = bound.absolute->get_d();
  }
  return symbolic_equal(a, b, tol) == SymbolicVerdict::kEqual;
}

}  // namespace r1b::tasks::verifier
