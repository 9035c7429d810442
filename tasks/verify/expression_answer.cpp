#include "tasks/verify/expression_answer.h"

#include "tasks/verify/extract.h"
#include "tasks/verify/latex_text.h"
#include "tasks/verify/math_parser.h"
#include "tasks/verify/structure_compare.h"

namespace r1b::tasks::verifier {

namespace {

// The scalar scaled by `factor` (percent: 1/100, degrees: pi/180); null when not a scalar.
NodePtr scaled(const NodePtr& tree, NodePtr factor) {
  if (!tree || !is_scalar(*tree)) return nullptr;
  return make_node(NodeKind::kMul, {tree, std::move(factor)});
}

NodePtr percent_factor() { return make_div(make_integer("1"), make_integer("100")); }
NodePtr degree_factor() { return make_div(make_node(NodeKind::kPi), make_integer("180")); }


}  // namespace

ParsedAnswer read_answer(std::string_view raw) {
  ParsedAnswer out;
  out.normalized = normalize_answer(raw);
  if (out.normalized.too_long) {
    out.error = "answer longer than " + std::to_string(kMaxAnswerChars) + " characters";
    return out;
  }
  if (out.normalized.is_text) return out;
  ParseResult parsed = parse_math(out.normalized.math);
  if (parsed.ok) out.tree = parsed.root;
  else out.error = parsed.error;
  return out;
}

bool same_parsed(const ParsedAnswer& gold, const ParsedAnswer& answer) {
  const NormalizedAnswer& g = gold.normalized;
  const NormalizedAnswer& a = answer.normalized;
  if (g.too_long || a.too_long) return false;
  if (g.is_text || a.is_text || !gold.tree || !answer.tree) {
    // Text answers, and the last resort for what does not parse: the same normalized text.
    return !g.text.empty() && g.text == a.text;
  }
  if (same_tree(*gold.tree, *answer.tree)) return true;
  if (g.percent != a.percent) {
    const NodePtr& marked = g.percent ? gold.tree : answer.tree;
    NodePtr as_fraction = scaled(marked, percent_factor());
    if (as_fraction && (g.percent ? same_tree(*as_fraction, *answer.tree) : same_tree(*gold.tree, *as_fraction))) {
      return true;
    }
  }
  if (g.degrees != a.degrees) {
    const NodePtr& marked = g.degrees ? gold.tree : answer.tree;
    NodePtr as_radians = scaled(marked, degree_factor());
    if (as_radians && (g.degrees ? same_tree(*as_radians, *answer.tree) : same_tree(*gold.tree, *as_radians))) {
      return true;
    }
  }
  return false;
}

bool same_expression(std::string_view gold, std::string_view answer) {
  if (gold.empty() || answer.empty()) return false;
  return same_parsed(read_answer(gold), read_answer(answer));
}

VerifyResult grade_expression(const Task& task, std::string_view completion, const VerifyOptions& options) {
  VerifyResult result;
  ParsedAnswer gold = read_answer(task.answer);
  if (!gold.readable()) {
    result.verdict = Verdict::kJudgeError;
    result.reason = "gold answer \"" + clip_utf8(task.answer) + "\" of task " + task.id + " cannot be read (" +
                    gold.error + "); fix the pack";
    return result;
  }
  Extraction ex = extract_final_answer(completion, options.answer_after_think, options.last_number_fallback);
  if (ex.status != ExtractStatus::kFound) {
    result.reason = ex.reason;
    return result;
  }
  result.extracted = ex.answer;
  ParsedAnswer answer = read_answer(ex.answer);
  if (same_parsed(gold, answer)) {
    result.verdict = Verdict::kCorrect;
    result.reward = 1.0;
    result.reason = "equals the gold (" + ex.reason + ")";
  } else if (!answer.readable()) {
    result.reason = "answer \"" + clip_utf8(ex.answer) + "\" (" + ex.reason + ") cannot be read: " + answer.error;
  } else {
    result.reason = "differs from the gold (" + ex.reason + ")";
  }
  return result;
}

}  // namespace r1b::tasks::verifier
