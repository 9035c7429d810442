#include "tasks/verify/numeric_value.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include "tasks/verify/exact_value.h"

namespace r1b::tasks::verifier {

namespace {

struct Evaluator {
  const SymbolValues& symbols;
  long double scale = 0;
  bool ok = true;

  Complex fail() {
    ok = false;
    return 0;
  }

  Complex note(Complex v) {
    if (!std::isfinite(v.real()) || !std::isfinite(v.imag())) return fail();
    scale = std::max(scale, std::abs(v));
    return v;
  }

  // b^e is never zero for a nonzero base: a result below the normal range underflowed, and a
  // probe there stands on a value it cannot represent (2003^(2^(x-888888888)) would read as
  // 2003^0 = 1 at every point). No evidence from such a point: fail.
  Complex note_power(Complex base, Complex v) {
    if (base != Complex(0) && std::abs(v) < std::numeric_limits<long double>::min()) return fail();
    return note(v);
  }

  Complex eval(const Node& n) {
    if (!ok) return 0;
    switch (n.kind) {
      case NodeKind::kNumber: {
        ExactValue v = number_value(n);
        if (v.status != ExactStatus::kOk) return fail();
        return note(static_cast<long double>(v.value.get_d()));
      }
      case NodeKind::kSymbol:
        for (const auto& [name, value] : symbols) {
          if (name == n.text) return value;
        }
        return fail();
      case NodeKind::kPi: return std::numbers::pi_v<long double>;
      case NodeKind::kE: return std::numbers::e_v<long double>;
      case NodeKind::kI: return Complex(0, 1);
      case NodeKind::kAdd: {
        Complex sum = 0;
        for (const auto& c : n.children) sum = note(sum + eval(*c));
        return sum;
      }
      case NodeKind::kMul: {
        Complex product = 1;
        for (const auto& c : n.children) product = note(product * eval(*c));
        return product;
      }
      case NodeKind::kNeg: return -eval(*n.children[0]);
      case NodeKind::kPow: {
        Complex b = eval(*n.children[0]);
        Complex e = eval(*n.children[1]);
        if (!ok) return 0;
        if (e.imag() == 0 && e.real() == std::round(e.real()) && std::abs(e.real()) <= 1e6) {
          long double k = e.real();
          if (b == Complex(0) && k < 0) return fail();
          Complex r = 1, base = k < 0 ? Complex(1) / b : b;
          for (unsigned long m = static_cast<unsigned long>(std::abs(k)); m; m >>= 1) {
            if (m & 1) r *= base;
            base *= base;
            if (!std::isfinite(std::abs(base)) && (m >> 1)) return fail();
          }
          return note_power(b, r);
        }
        // Real odd roots of negative reals stay real: (-8)^(1/3) = -2.
        if (b.imag() == 0 && b.real() < 0 && e.imag() == 0) {
          long double inv = 1 / e.real();
          if (std::abs(inv - std::round(inv)) < 1e-12 && static_cast<long long>(std::round(inv)) % 2 != 0) {
            return note_power(b, -std::pow(-b.real(), e.real()));
          }
        }
        if (b == Complex(0)) return e.real() > 0 ? Complex(0) : fail();
        return note_power(b, std::pow(b, e));
      }
      case NodeKind::kFunction: return function(n);
      default:
        return fail();
    }
  }

  Complex function(const Node& n) {
    const std::string& f = n.text;
    Complex x = eval(*n.children[0]);
    if (!ok) return 0;
    if (f == "sqrt") return note(std::sqrt(x));
    if (f == "root") {
      Complex k = eval(*n.children[1]);
      if (!ok || k == Complex(0)) return fail();
      if (x.imag() == 0 && x.real() < 0 && k.imag() == 0 && std::fmod(std::abs(k.real()), 2.0L) == 1.0L) {
        return note(-std::pow(-x.real(), 1 / k.real()));
      }
      return note(std::pow(x, Complex(1) / k));
    }
    if (f == "sin") return note(std::sin(x));
    if (f == "cos") return note(std::cos(x));
    if (f == "tan") return note(std::tan(x));
    if (f == "cot") return note(std::cos(x) / std::sin(x));
    if (f == "sec") return note(Complex(1) / std::cos(x));
    if (f == "csc") return note(Complex(1) / std::sin(x));
    if (f == "arcsin") return note(std::asin(x));
    if (f == "arccos") return note(std::acos(x));
    if (f == "arctan") return note(std::atan(x));
    if (f == "arccot") return note(std::atan(Complex(1) / x));
    if (f == "arcsec") return note(std::acos(Complex(1) / x));
    if (f == "arccsc") return note(std::asin(Complex(1) / x));
    if (f == "sinh") return note(std::sinh(x));
    if (f == "cosh") return note(std::cosh(x));
    if (f == "tanh") return note(std::tanh(x));
    if (f == "coth") return note(std::cosh(x) / std::sinh(x));
    if (f == "ln" || f == "log") return x == Complex(0) ? fail() : note(std::log(x));
    if (f == "log_base") {
      Complex b = eval(*n.children[1]);
      if (!ok || x == Complex(0) || b == Complex(0) || b == Complex(1)) return fail();
      return note(std::log(x) / std::log(b));
    }
    if (f == "exp") return note(std::exp(x));
    if (f == "abs") return note(std::abs(x));
    if (f == "deg") return note(x * std::numbers::pi_v<long double> / 180.0L);
    if (f == "factorial") {
      if (x.imag() != 0 || x.real() < 0 || x.real() > 1700) return fail();
      return note(std::tgamma(x.real() + 1));
    }
    if (f == "binom") {
      Complex k = eval(*n.children[1]);
      if (!ok || x.imag() != 0 || k.imag() != 0) return fail();
      long double r = std::tgamma(x.real() + 1) / (std::tgamma(k.real() + 1) * std::tgamma(x.real() - k.real() + 1));
      return note(r);
    }
    if (f == "floor" && x.imag() == 0) return note(std::floor(x.real()));
    if (f == "ceil" && x.imag() == 0) return note(std::ceil(x.real()));
    return fail();
  }
};

void collect_symbols(const Node& n, std::vector<std::string>& out) {
  if (n.kind == NodeKind::kSymbol) out.push_back(n.text);
  for (const auto& c : n.children) collect_symbols(*c, out);
}

}  // namespace

NumericValue numeric_value(const Node& node, const SymbolValues& symbols) {
  Evaluator ev{symbols};
  NumericValue out;
  out.value = ev.eval(node);
  out.ok = ev.ok;
  out.scale = std::max(ev.scale, std::abs(out.value));
  return out;
}

std::vector<std::string> symbol_names(const Node& node) {
  std::vector<std::string> names;
  collect_symbols(node, names);
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

std::vector<SymbolValues> probe_points(const std::vector<std::string>& names, int count) {
  // A fixed low-discrepancy sequence: deterministic across runs, threads and platforms.
  std::vector<SymbolValues> points;
  for (int p = 0; p < count; ++p) {
    SymbolValues values;
    for (size_t k = 0; k < names.size(); ++k) {
      long double t = std::fmod(0.5L + (p + 1) * 0.6180339887498949L + (k + 1) * 0.4142135623730951L, 1.0L);
      long double v = 0.35L + 2.4L * t;  // in [0.35, 2.75)
      if (std::abs(v - 1) < 0.07L || std::abs(v - 2) < 0.07L) v += 0.13L;
      if ((p + static_cast<int>(k)) % 3 == 2) v = -v;  // some negative values
      values.emplace_back(names[k], Complex(v, 0));
    }
    points.push_back(std::move(values));
  }
  return points;
}

}  // namespace r1b::tasks::verifier
