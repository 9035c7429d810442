#include "tasks/verify/exact_value.h"

#include <climits>

namespace r1b::tasks::verifier {

namespace {

ExactValue status(ExactStatus s) {
  ExactValue v;
  v.status = s;
  return v;
}

ExactValue ok(mpq_class q) {
  ExactValue v;
  v.status = ExactStatus::kOk;
  v.value = std::move(q);
  v.value.canonicalize();
  return v;
}

size_t bits(const mpq_class& q) {
  return mpz_sizeinbase(q.get_num_mpz_t(), 2) + mpz_sizeinbase(q.get_den_mpz_t(), 2);
}

bool too_big(const mpq_class& q) { return bits(q) > kMaxExactBits; }

mpz_class pow10(unsigned long n) {
  mpz_class r;
  mpz_ui_pow_ui(r.get_mpz_t(), 10, n);
  return r;
}

// Exact k-th root of a non-negative integer, or false.
bool exact_root(const mpz_class& x, unsigned long k, mpz_class& root) {
  return mpz_root(root.get_mpz_t(), x.get_mpz_t(), k) != 0;
}

ExactValue power(const mpq_class& base, const mpq_class& exponent) {
  if (base == 0) {
    if (exponent > 0) return ok(0);
    return status(ExactStatus::kUndefined);
  }
  if (base == 1) return ok(1);
  if (base == -1 && exponent.get_den() == 1) return ok(mpz_odd_p(exponent.get_num_mpz_t()) ? -1 : 1);
  // Size estimate before computing: |p| * bits(base) must stay under the limit.
  const mpz_class& p = exponent.get_num();
  const mpz_class& d = exponent.get_den();
  if (mpz_sizeinbase(p.get_mpz_t(), 2) > 40 || mpz_sizeinbase(d.get_mpz_t(), 2) > 16) return status(ExactStatus::kTooLarge);
  long p_long = p.get_si();
  unsigned long d_ul = d.get_ui();
  unsigned long p_abs = static_cast<unsigned long>(p_long < 0 ? -p_long : p_long);
  mpq_class b = base;
  if (d_ul != 1) {
    bool negative = b < 0;
    if (negative && d_ul % 2 == 0) return status(ExactStatus::kNotRational);  // complex
    mpz_class num = abs(b.get_num()), den = b.get_den();
    mpz_class rn, rd;
    if (!exact_root(num, d_ul, rn) || !exact_root(den, d_ul, rd)) return status(ExactStatus::kNotRational);
    b = mpq_class(negative ? mpz_class(-rn) : rn, rd);
    b.canonicalize();
  }
  if (static_cast<double>(p_abs) * static_cast<double>(bits(b)) > static_cast<double>(kMaxExactBits)) {
    return status(ExactStatus::kTooLarge);
  }
  mpz_class num, den;
  mpz_pow_ui(num.get_mpz_t(), b.get_num_mpz_t(), p_abs);
  mpz_pow_ui(den.get_mpz_t(), b.get_den_mpz_t(), p_abs);
  mpq_class r(num, den);
  r.canonicalize();
  if (p_long < 0) r = 1 / r;
  return ok(r);
}

bool integer_arg(const ExactValue& v, unsigned long limit, unsigned long& out) {
  if (v.status != ExactStatus::kOk || v.value.get_den() != 1 || v.value < 0) return false;
  if (v.value > limit) return false;
  out = v.value.get_num().get_ui();
  return true;
}

}  // namespace

ExactValue number_value(const Node& n) {
  mpz_class integer;
  const std::string& digits = n.int_digits.empty() ? std::string("0") : n.int_digits;
  if (integer.set_str(digits, n.base) != 0) return status(ExactStatus::kUndefined);
  mpq_class q(integer);
  if (!n.frac_digits.empty()) {
    mpz_class frac;
    if (frac.set_str(n.frac_digits, 10) != 0) return status(ExactStatus::kUndefined);
    q += mpq_class(frac, pow10(n.frac_digits.size()));
  }
  if (!n.rep_digits.empty()) {
    if (n.rep_digits.size() > 64) return status(ExactStatus::kTooLarge);
    mpz_class rep;
    if (rep.set_str(n.rep_digits, 10) != 0) return status(ExactStatus::kUndefined);
    mpz_class den = (pow10(n.rep_digits.size()) - 1) * pow10(n.frac_digits.size());
    q += mpq_class(rep, den);
  }
  if (n.exp10 != 0) {
    if (n.exp10 > 30000 || n.exp10 < -30000) return status(ExactStatus::kTooLarge);
    mpz_class scale = pow10(static_cast<unsigned long>(n.exp10 < 0 ? -n.exp10 : n.exp10));
    if (n.exp10 > 0) q *= scale;
    else q /= scale;
  }
  return ok(q);
}

namespace {

ExactValue eval(const Node& node, const RationalPoint* point) {
  switch (node.kind) {
    case NodeKind::kNumber:
      return number_value(node);
    case NodeKind::kSymbol:
      if (point) {
        for (const auto& [name, value] : *point) {
          if (name == node.text) return ok(value);
        }
      }
      return status(ExactStatus::kNotRational);
    case NodeKind::kAdd: {
      mpq_class sum = 0;
      for (const auto& c : node.children) {
        ExactValue v = eval(*c, point);
        if (v.status != ExactStatus::kOk) return v;
        sum += v.value;
        if (too_big(sum)) return status(ExactStatus::kTooLarge);
      }
      return ok(sum);
    }
    case NodeKind::kMul: {
      mpq_class product = 1;
      for (const auto& c : node.children) {
        ExactValue v = eval(*c, point);
        if (v.status != ExactStatus::kOk) return v;
        if (bits(product) + bits(v.value) > kMaxExactBits) return status(ExactStatus::kTooLarge);
        product *= v.value;
      }
      return ok(product);
    }
    case NodeKind::kNeg: {
      ExactValue v = eval(*node.children[0], point);
      if (v.status == ExactStatus::kOk) v.value = -v.value;
      return v;
    }
    case NodeKind::kPow: {
      ExactValue b = eval(*node.children[0], point);
      if (b.status != ExactStatus::kOk) return b;
      ExactValue e = eval(*node.children[1], point);
      if (e.status != ExactStatus::kOk) return e;
      return power(b.value, e.value);
    }
    case NodeKind::kFunction: {
      const std::string& f = node.text;
      if (f == "sqrt" || f == "root") {
        ExactValue x = eval(*node.children[0], point);
        if (x.status != ExactStatus::kOk) return x;
        mpq_class index = 2;
        if (f == "root") {
          ExactValue k = eval(*node.children[1], point);
          if (k.status != ExactStatus::kOk) return k;
          if (k.value.get_den() != 1 || k.value < 2 || k.value > 64) return status(ExactStatus::kNotRational);
          index = k.value;
        }
        if (x.value < 0 && f == "sqrt") return status(ExactStatus::kNotRational);
        return power(x.value, 1 / index);
      }
      if (f == "abs") {
        ExactValue x = eval(*node.children[0], point);
        if (x.status == ExactStatus::kOk) x.value = abs(x.value);
        return x;
      }
      if (f == "factorial") {
        ExactValue x = eval(*node.children[0], point);
        if (x.status != ExactStatus::kOk) return x;
        unsigned long n = 0;
        if (!integer_arg(x, kMaxFactorial, n)) {
          return x.value.get_den() == 1 && x.value >= 0 ? status(ExactStatus::kTooLarge) : status(ExactStatus::kNotRational);
        }
        mpz_class r;
        mpz_fac_ui(r.get_mpz_t(), n);
        return ok(mpq_class(r));
      }
      if (f == "binom") {
        ExactValue n = eval(*node.children[0], point);
        ExactValue k = eval(*node.children[1], point);
        unsigned long nn = 0, kk = 0;
        if (!integer_arg(n, 100000, nn) || !integer_arg(k, 100000, kk)) return status(ExactStatus::kNotRational);
        mpz_class r;
        mpz_bin_uiui(r.get_mpz_t(), nn, kk);
        if (mpz_sizeinbase(r.get_mpz_t(), 2) > kMaxExactBits) return status(ExactStatus::kTooLarge);
        return ok(mpq_class(r));
      }
      if (f == "floor" || f == "ceil") {
        ExactValue x = eval(*node.children[0], point);
        if (x.status != ExactStatus::kOk) return x;
        mpz_class r;
        if (f == "floor") mpz_fdiv_q(r.get_mpz_t(), x.value.get_num_mpz_t(), x.value.get_den_mpz_t());
        else mpz_cdiv_q(r.get_mpz_t(), x.value.get_num_mpz_t(), x.value.get_den_mpz_t());
        return ok(mpq_class(r));
      }
      return status(ExactStatus::kNotRational);
    }
    default:
      return status(ExactStatus::kNotRational);
  }
}

}  // namespace

ExactValue exact_value(const Node& node) { return eval(node, nullptr); }

ExactValue exact_value_at(const Node& node, const RationalPoint& point) { return eval(node, &point); }

bool has_decimal_literal(const Node& node) {
  if (node.kind == NodeKind::kNumber) return node.is_decimal;
  for (const auto& c : node.children) {
    if (has_decimal_literal(*c)) return true;
  }
  return false;
}

}  // namespace r1b::tasks::verifier
