#include "tasks/verify/symbolic_compare.h"

#include <ginac/ginac.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <optional>

#include "tasks/verify/exact_value.h"
#include "tasks/verify/numeric_value.h"

namespace r1b::tasks::verifier {

namespace {

std::mutex& ginac_mutex() {
  static std::mutex mutex;
  return mutex;
}

constexpr int kDigits = 50;

// Converts an AST to a GiNaC expression, refusing anything unbounded.
class ToGinac {
 public:
  std::map<std::string, GiNaC::symbol> symbols;
  bool too_big_to_expand = false;  // a symbolic power above kMaxExpandedPower was converted

  std::optional<GiNaC::ex> convert(const Node& n) {
    ok_ = true;
    GiNaC::ex e = conv(n);
    if (!ok_) return std::nullopt;
    return e;
  }

 private:
  bool ok_ = true;

  static bool has_number_above(const GiNaC::ex& e, long bound) {
    for (auto it = e.preorder_begin(); it != e.preorder_end(); ++it) {
      if (GiNaC::is_a<GiNaC::numeric>(*it) && GiNaC::abs(GiNaC::ex_to<GiNaC::numeric>(*it)) > bound) return true;
    }
    return false;
  }

  GiNaC::ex fail() {
    ok_ = false;
    return 0;
  }

  static GiNaC::numeric from_mpq(const mpq_class& q) {
    std::string num = q.get_num().get_str(), den = q.get_den().get_str();
    return GiNaC::numeric(num.c_str()) / GiNaC::numeric(den.c_str());
  }

  static double bits_of(const GiNaC::numeric& x) {
    if (x.is_zero()) return 1;
    GiNaC::numeric num = GiNaC::abs(x.numer()), den = GiNaC::abs(x.denom());
    return static_cast<double>(GiNaC::log(num + 1).to_double() / std::log(2.0) +
                               GiNaC::log(den + 1).to_double() / std::log(2.0) + 1);
  }

  GiNaC::ex conv(const Node& n) {
    if (!ok_) return 0;
    switch (n.kind) {
      case NodeKind::kNumber: {
        ExactValue v = number_value(n);
        if (v.status != ExactStatus::kOk) return fail();
        return from_mpq(v.value);
      }
      case NodeKind::kSymbol: {
        auto it = symbols.find(n.text);
        if (it == symbols.end()) it = symbols.emplace(n.text, GiNaC::symbol(n.text)).first;
        return it->second;
      }
      case NodeKind::kPi: return GiNaC::Pi;
      case NodeKind::kE: return GiNaC::exp(GiNaC::ex(1));
      case NodeKind::kI: return GiNaC::I;
      case NodeKind::kAdd: {
        GiNaC::ex sum = 0;
        for (const auto& c : n.children) sum += conv(*c);
        return sum;
      }
      case NodeKind::kMul: {
        GiNaC::ex product = 1;
        for (const auto& c : n.children) product *= conv(*c);
        return product;
      }
      case NodeKind::kNeg: return -conv(*n.children[0]);
      case NodeKind::kPow: return power(conv(*n.children[0]), conv(*n.children[1]));
      case NodeKind::kFunction: return function(n);
      default:
        return fail();
    }
  }

  GiNaC::ex power(const GiNaC::ex& base, const GiNaC::ex& exponent) {
    if (!ok_) return 0;
    if (GiNaC::is_a<GiNaC::numeric>(exponent)) {
      GiNaC::numeric e = GiNaC::ex_to<GiNaC::numeric>(exponent);
      if (!e.is_rational()) return fail();
      GiNaC::numeric p = GiNaC::abs(e.numer());
      if (GiNaC::is_a<GiNaC::numeric>(base)) {
        GiNaC::numeric b = GiNaC::ex_to<GiNaC::numeric>(base);
        // 0^-1 would throw inside GiNaC (and leak the half-built power): refuse it here.
        if (b.is_zero() && !e.is_pos_integer() && !(e.is_rational() && e > 0)) return fail();
        bool trivial = b.is_zero() || b == 1 || b == -1;
        if (!trivial && (p > 1000000 || p.to_double() * bits_of(b) > static_cast<double>(kMaxExactBits))) return fail();
      } else if (p > kMaxProbedPower) {
        return fail();
      } else if (p > kMaxExpandedPower) {
        too_big_to_expand = true;  // compare by probing only
      }
    } else if (has_number_above(exponent, kMaxProbedPower)) {
      // expand() splits b^(x+k) into b^x * b^k and computes b^k exactly: 2^(x-888888888) would
      // need ~10^9 bits. Such powers are compared by probing only.
      too_big_to_expand = true;
    }
    return GiNaC::pow(base, exponent);
  }

  GiNaC::ex function(const Node& n) {
    const std::string& f = n.text;
    GiNaC::ex x = conv(*n.children[0]);
    if (!ok_) return 0;
    if (f == "sqrt") return GiNaC::sqrt(x);
    if (f == "root") return power(x, 1 / conv(*n.children[1]));
    if (f == "sin") return GiNaC::sin(x);
    if (f == "cos") return GiNaC::cos(x);
    if (f == "tan") return GiNaC::tan(x);
    if (f == "cot") return GiNaC::cos(x) / GiNaC::sin(x);
    if (f == "sec") return 1 / GiNaC::cos(x);
    if (f == "csc") return 1 / GiNaC::sin(x);
    if (f == "arcsin") return GiNaC::asin(x);
    if (f == "arccos") return GiNaC::acos(x);
    if (f == "arctan") return GiNaC::atan(x);
    if (f == "arccot") return GiNaC::atan(1 / x);
    if (f == "sinh") return GiNaC::sinh(x);
    if (f == "cosh") return GiNaC::cosh(x);
    if (f == "tanh") return GiNaC::tanh(x);
    if (f == "ln" || f == "log") return GiNaC::log(x);
    if (f == "log_base") return GiNaC::log(x) / GiNaC::log(conv(*n.children[1]));
    if (f == "exp") return GiNaC::exp(x);
    if (f == "abs") return GiNaC::abs(x);
    if (f == "deg") return x * GiNaC::Pi / 180;
    if (f == "factorial") {
      if (!GiNaC::is_a<GiNaC::numeric>(x)) return fail();
      GiNaC::numeric k = GiNaC::ex_to<GiNaC::numeric>(x);
      if (!k.is_nonneg_integer() || k > static_cast<long>(kMaxFactorial)) return fail();
      return GiNaC::factorial(k);
    }
    if (f == "binom") {
      GiNaC::ex k = conv(*n.children[1]);
      if (!GiNaC::is_a<GiNaC::numeric>(x) || !GiNaC::is_a<GiNaC::numeric>(k)) return fail();
      if (GiNaC::ex_to<GiNaC::numeric>(x) > 100000) return fail();
      return GiNaC::binomial(x, k);
    }
    return fail();
  }
};

// A fixed probe point: exact rational values (for exact_value_at) and the same values as
// kDigits-digit floats (for GiNaC, so that no exact power of a huge exponent is ever computed).
struct ProbePoint {
  RationalPoint exact;
  GiNaC::exmap floats;
  SymbolValues doubles;  // for the long-double range check before any CLN evaluation
};

// CLN floats have almost unbounded exponents, so evaluating 2003^(2002^(10^12 x)) in them can
// ask for terabytes. Only points where both sides stay within long-double range are evaluated.
bool in_float_range(const Node& a, const Node& b, const ProbePoint& point) {
  return numeric_value(a, point.doubles).ok && numeric_value(b, point.doubles).ok;
}

std::vector<ProbePoint> probe_points(const std::map<std::string, GiNaC::symbol>& symbols, int count) {
  static const int kNum[] = {7, -13, 23, 31, -41, 53, 67, -79, 89, 101, -113, 127};
  static const int kDen[] = {5, 11, 17, 13, 19, 23, 29, 31, 37, 41, 43, 47};
  std::vector<ProbePoint> points;
  for (int p = 0; p < count; ++p) {
    ProbePoint point;
    int k = 0;
    for (const auto& [name, sym] : symbols) {
      int idx = (p * 5 + k * 7) % 12;
      long num = kNum[idx] + k, den = kDen[(idx + p) % 12];
      mpq_class q(num, den);
      q.canonicalize();
      point.exact.emplace_back(name, q);
      point.floats[sym] = GiNaC::numeric(num, den).evalf();
      point.doubles.emplace_back(name, Complex(static_cast<long double>(num) / static_cast<long double>(den), 0));
      ++k;
    }
    points.push_back(std::move(point));
  }
  return points;
}

// The value at a point, or nullopt (a pole, a domain error, or no number).
std::optional<GiNaC::numeric> evaluate(const GiNaC::ex& e, const GiNaC::exmap& point) {
  try {
    GiNaC::ex v = GiNaC::evalf(point.empty() ? e : e.subs(point));
    if (!GiNaC::is_a<GiNaC::numeric>(v)) return std::nullopt;
    return GiNaC::ex_to<GiNaC::numeric>(v);
  } catch (...) {
    return std::nullopt;
  }
}

// An upper estimate of the number of terms expand() would produce (capped).
double expanded_terms(const GiNaC::ex& e) {
  constexpr double kCap = 1e12;
  if (GiNaC::is_a<GiNaC::add>(e)) {
    double n = 0;
    for (size_t k = 0; k < e.nops(); ++k) n += expanded_terms(e.op(k));
    return std::min(n, kCap);
  }
  if (GiNaC::is_a<GiNaC::mul>(e)) {
    double n = 1;
    for (size_t k = 0; k < e.nops(); ++k) n *= expanded_terms(e.op(k));
    return std::min(n, kCap);
  }
  if (GiNaC::is_a<GiNaC::power>(e) && GiNaC::is_a<GiNaC::numeric>(e.op(1))) {
    GiNaC::numeric p = GiNaC::ex_to<GiNaC::numeric>(e.op(1));
    double base_terms = expanded_terms(e.op(0));
    if (!p.is_pos_integer() || base_terms <= 1) return base_terms;
    // Multinomial count C(n + k - 1, k - 1) for k base terms to the n-th power.
    double n = p.to_double(), terms = 1;
    for (double j = 1; j < base_terms && terms < kCap; ++j) terms = terms * (n + j) / j;
    return std::min(terms, kCap);
  }
  if (GiNaC::is_a<GiNaC::function>(e)) {
    double n = 1;
    for (size_t k = 0; k < e.nops(); ++k) n = std::max(n, expanded_terms(e.op(k)));
    return n;
  }
  return 1;
}

bool is_constant(const GiNaC::ex& e, const std::map<std::string, GiNaC::symbol>& symbols) {
  for (const auto& [name, sym] : symbols) {
    if (e.has(sym)) return false;
  }
  return true;
}

// Exact values within the tolerance (exactly equal under the exact tolerance).
bool within(const mpq_class& a, const mpq_class& b, const Tolerance& tol) {
  if (a == b) return true;
  if (tol.relative <= kExactTolerance) return false;
  mpq_class diff = abs(a - b);
  if (diff > mpq_class(tol.relative) * std::max(abs(a), abs(b))) return false;
  return tol.absolute <= 0 || diff <= mpq_class(tol.absolute);
}

SymbolicVerdict equal_locked(const Node& a, const Node& b, const Tolerance& tol) {
  if (node_count(a) > kMaxSymbolicNodes || node_count(b) > kMaxSymbolicNodes) return SymbolicVerdict::kUnknown;
  ToGinac conv;
  auto ea = conv.convert(a);
  auto eb = conv.convert(b);
  if (!ea || !eb) return SymbolicVerdict::kUnknown;
  GiNaC::ex d = *ea - *eb;
  if (d.is_zero()) return SymbolicVerdict::kEqual;
  if (GiNaC::is_a<GiNaC::numeric>(d) && GiNaC::ex_to<GiNaC::numeric>(d).is_rational() &&
      tol.relative <= kExactTolerance) {
    return SymbolicVerdict::kNotEqual;  // (x+y)^1000 + 1 against (x+y)^1000: a nonzero exact difference
  }
  if (!conv.too_big_to_expand && expanded_terms(d) <= kMaxExpandedTerms) {
    GiNaC::ex expanded = d.expand();
    if (expanded.is_zero()) return SymbolicVerdict::kEqual;
    if (GiNaC::is_a<GiNaC::numeric>(expanded) && GiNaC::ex_to<GiNaC::numeric>(expanded).is_rational() &&
        tol.relative <= kExactTolerance) {
      return SymbolicVerdict::kNotEqual;  // a nonzero exact difference
    }
    if (!conv.symbols.empty() && GiNaC::normal(expanded).is_zero()) return SymbolicVerdict::kEqual;
  }
  GiNaC::Digits = kDigits;
  auto points = probe_points(conv.symbols, conv.symbols.empty() ? 1 : kProbeCount + 2);
  int agreeing = 0;
  for (const auto& point : points) {
    // Exact first: rational values at rational points, compared exactly (no cancellation noise).
    ExactValue qa = exact_value_at(a, point.exact);
    ExactValue qb = exact_value_at(b, point.exact);
    if (qa.status == ExactStatus::kOk && qb.status == ExactStatus::kOk) {
      if (!within(qa.value, qb.value, tol)) return SymbolicVerdict::kNotEqual;
      if (++agreeing == kProbeCount) break;
      continue;
    }
    bool unbounded = qa.status == ExactStatus::kTooLarge || qb.status == ExactStatus::kTooLarge ||
                     qa.status == ExactStatus::kUndefined || qb.status == ExactStatus::kUndefined;
    if (unbounded || !in_float_range(a, b, point)) continue;  // too large or a pole here: try the next
    auto dv = evaluate(d, point.floats);
    auto av = evaluate(*ea, point.floats);
    auto bv = evaluate(*eb, point.floats);
    if (!dv || !av || !bv) continue;  // a pole or domain error at this point: try the next
    GiNaC::numeric diff = GiNaC::abs(*dv);
    GiNaC::numeric scale = std::max(GiNaC::abs(*av), GiNaC::abs(*bv));
    if (diff > scale * GiNaC::numeric(tol.relative)) return SymbolicVerdict::kNotEqual;
    if (tol.absolute > 0 && diff > GiNaC::numeric(tol.absolute)) return SymbolicVerdict::kNotEqual;
    if (++agreeing == kProbeCount) break;
  }
  // Constants need their one point; expressions at least two distinct points.
  return agreeing >= (conv.symbols.empty() ? 1 : 2) ? SymbolicVerdict::kEqual : SymbolicVerdict::kUnknown;
}

SymbolicVerdict proportional_locked(const Node& a, const Node& b, bool positive_only) {
  if (node_count(a) > kMaxSymbolicNodes || node_count(b) > kMaxSymbolicNodes) return SymbolicVerdict::kUnknown;
  ToGinac conv;
  auto ea = conv.convert(a);
  auto eb = conv.convert(b);
  if (!ea || !eb) return SymbolicVerdict::kUnknown;
  if (conv.too_big_to_expand || expanded_terms(*ea) > kMaxExpandedTerms || expanded_terms(*eb) > kMaxExpandedTerms) {
    return SymbolicVerdict::kUnknown;
  }
  GiNaC::ex na = ea->expand(), nb = eb->expand();
  if (na.is_zero() || nb.is_zero()) return na.is_zero() && nb.is_zero() ? SymbolicVerdict::kEqual : SymbolicVerdict::kNotEqual;
  GiNaC::ex ratio = GiNaC::normal(na / nb);
  std::optional<GiNaC::numeric> constant;
  if (is_constant(ratio, conv.symbols)) {
    GiNaC::Digits = kDigits;
    // The ratio is a constant: evaluate it only if a and b stay in range at some point.
    auto points = probe_points(conv.symbols, kProbeCount + 2);
    bool in_range = std::any_of(points.begin(), points.end(),
                                [&](const ProbePoint& point) { return in_float_range(a, b, point); });
    if (!in_range) return SymbolicVerdict::kUnknown;
    auto v = evaluate(ratio, {});
    if (!v) return SymbolicVerdict::kNotEqual;
    constant = *v;
  } else {
    // Not normalized to a constant: probe the ratio at several points.
    GiNaC::Digits = kDigits;
    int agreeing = 0;
    for (const auto& point : probe_points(conv.symbols, kProbeCount + 2)) {
      if (!in_float_range(a, b, point)) continue;
      auto v = evaluate(ratio, point.floats);
      if (!v) continue;  // a pole of the ratio
      if (!constant) {
        constant = *v;
      } else if (GiNaC::abs(*v - *constant) > GiNaC::abs(*constant) * GiNaC::numeric(kExactTolerance)) {
        return SymbolicVerdict::kNotEqual;
      }
      if (++agreeing == kProbeCount) break;
    }
    if (agreeing < 2) return SymbolicVerdict::kUnknown;
  }
  if (!constant || constant->is_zero() || !constant->is_real()) return SymbolicVerdict::kNotEqual;
  if (positive_only && *constant < 0) return SymbolicVerdict::kNotEqual;
  return SymbolicVerdict::kEqual;
}

}  // namespace

SymbolicVerdict symbolic_equal(const Node& a, const Node& b, const Tolerance& tol) {
  std::lock_guard<std::mutex> lock(ginac_mutex());
  try {
    return equal_locked(a, b, tol);
  } catch (...) {  // CLN overflow, GiNaC domain errors: no verdict
    return SymbolicVerdict::kUnknown;
  }
}

SymbolicVerdict symbolic_proportional(const Node& a, const Node& b, bool positive_only) {
  std::lock_guard<std::mutex> lock(ginac_mutex());
  try {
    return proportional_locked(a, b, positive_only);
  } catch (...) {
    return SymbolicVerdict::kUnknown;
  }
}

}  // namespace r1b::tasks::verifier
