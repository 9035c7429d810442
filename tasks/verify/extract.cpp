#include "tasks/verify/extract.h"

#include <re2/re2.h>

#include <algorithm>
#include <cctype>

#include "tasks/verify/latex_text.h"

namespace r1b::tasks::verifier {

std::string_view candidate_kind_name(CandidateKind kind) {
  switch (kind) {
    case CandidateKind::kBoxed: return "boxed";
    case CandidateKind::kFinalAnswerLine: return "final answer line";
    case CandidateKind::kAnswerLine: return "answer line";
    case CandidateKind::kLastMath: return "last math expression";
    case CandidateKind::kLastNumber: return "last number";
  }
  return "boxed";
}

AnswerRegion answer_region(std::string_view completion, bool answer_after_think) {
  if (completion.size() > kMaxCompletionBytes) {
    completion = completion.substr(completion.size() - kMaxCompletionBytes);
  }
  AnswerRegion region;
  region.text = completion;
  if (!answer_after_think) return region;
  size_t close = completion.rfind("</think>");
  if (close != std::string_view::npos) {
    region.text = completion.substr(close + 8);
    region.after_think = true;
    return region;
  }
  if (completion.find("<think>") != std::string_view::npos) {
    region.truncated_in_think = true;
    region.text = {};
  }
  return region;
}

namespace {

// Finds \boxed / \fbox groups. `\boxed 5` (no braces) takes the next token.
void scan_boxes(std::string_view region, CandidateScan& scan) {
  size_t pos = 0;
  while (pos < region.size()) {
    size_t boxed = region.find("\\boxed", pos);
    size_t fbox = region.find("\\fbox", pos);
    size_t at = std::min(boxed, fbox);
    if (at == std::string_view::npos) break;
    size_t after = at + (at == boxed ? 6 : 5);
    if (after < region.size() && std::isalpha(static_cast<unsigned char>(region[after]))) {
      pos = after;
      continue;
    }
    size_t open = after;
    while (open < region.size() && region[open] == ' ') ++open;
    if (open < region.size() && region[open] == '{') {
      auto close = matching_brace(region, open);
      if (!close) {
        scan.unclosed_box = true;  // nothing can follow an unclosed group: it runs to the end
        return;
      }
      std::string content(trim(region.substr(open + 1, *close - open - 1)));
      if (!is_placeholder(content)) scan.candidates.push_back({CandidateKind::kBoxed, at, content});
      pos = *close + 1;
    } else if (open > after && open < region.size()) {
      size_t end = open;
      while (end < region.size() && !std::isspace(static_cast<unsigned char>(region[end])) &&
             region[end] != '$' && region[end] != '\\') {
        ++end;
      }
      std::string content(region.substr(open, end - open));
      if (!content.empty()) scan.candidates.push_back({CandidateKind::kBoxed, at, content});
      pos = std::max(end, after);
    } else {
      pos = after;
    }
  }
}

struct LinePattern {
  CandidateKind kind;
  const RE2* re;
};

const std::vector<LinePattern>& line_patterns() {
  // Matched against one line with markdown emphasis removed; group 1 is the answer text.
  static const RE2 kFinal(R"((?i)\bfinal\s+answer\s*(?:(?:is|was|would\s+be|:|=)\s*:?\s*(.*)|$))");
  static const RE2 kTheAnswerIs(
      R"((?i)\bthe\s+(?:correct\s+|right\s+|best\s+|final\s+)?(?:answer|option|choice)\s+(?:is|should\s+be|would\s+be|must\s+be)\s*:?\s*(.*)$)");
  static const RE2 kAnswerColon(R"((?i)^[\s#>*-]*(?:answer|ans\.?)\s*[:=]\s*(.*)$)");
  static const std::vector<LinePattern> kPatterns = {
      {CandidateKind::kFinalAnswerLine, &kFinal},
      {CandidateKind::kAnswerLine, &kTheAnswerIs},
      {CandidateKind::kAnswerLine, &kAnswerColon},
  };
  return kPatterns;
}

// A grading instruction the model echoed ("... of the form 'Answer: $LETTER' (without quotes)").
bool is_echoed_instruction(std::string_view line) {
  for (std::string_view marker : {"$LETTER", "$ANSWER", "[ANSWER]", "[LETTER]", "{ANSWER}", "(without quotes)",
                                  "YOUR_ANSWER", "<your answer>"}) {
    if (line.find(marker) != std::string_view::npos) return true;
  }
  return false;
}

void scan_answer_lines(std::string_view region, CandidateScan& scan) {
  size_t line_start = 0;
  bool pending_heading = false;  // a bare "Final Answer" heading: the next line is the answer
  size_t heading_pos = 0;
  while (line_start <= region.size()) {
    size_t line_end = region.find('\n', line_start);
    if (line_end == std::string_view::npos) line_end = region.size();
    std::string_view raw = region.substr(line_start, line_end - line_start);
    if (raw.size() <= 4096 && !is_echoed_instruction(raw)) {
      std::string line = strip_markdown_emphasis(raw);
      std::string_view bare = trim(line);
      bool delimiter_only = bare == "$$" || bare == "$" || bare == "\\[" || bare == "\\]" || bare == "\\(" || bare == "\\)";
      if (pending_heading && !bare.empty() && !delimiter_only) {
        std::string text(trim(line));
        if (!is_placeholder(text)) scan.candidates.push_back({CandidateKind::kFinalAnswerLine, heading_pos, text});
        pending_heading = false;
      } else {
        for (const auto& p : line_patterns()) {
          re2::StringPiece rest;
          re2::StringPiece input(line);
          if (!RE2::PartialMatch(input, *p.re, &rest)) continue;
          std::string text(trim(std::string_view(rest.data(), rest.size())));
          if (text.empty() || text == ":") {
            pending_heading = p.kind == CandidateKind::kFinalAnswerLine;
            heading_pos = line_start;
          } else if (!is_placeholder(strip_math_delimiters(text)) && text.find("\\boxed") == std::string::npos &&
                     text.find("\\fbox") == std::string::npos) {
            // (A line holding a box is represented by the box itself.)
            size_t offset = static_cast<size_t>(rest.data() - line.data());
            scan.candidates.push_back({p.kind, line_start + std::min(offset, raw.size()), text});
          }
          break;
        }
      }
    }
    if (line_end == region.size()) break;
    line_start = line_end + 1;
  }
}

}  // namespace

CandidateScan find_candidates(std::string_view region) {
  CandidateScan scan;
  scan_boxes(region, scan);
  if (scan.unclosed_box) {
    // An unclosed group runs to the end of the region, so it is the last thing the model wrote:
    // the output was cut inside its answer. Fail closed rather than fall back to earlier boxes.
    scan.candidates.clear();
    return scan;
  }
  scan_answer_lines(region, scan);
  // Last wins by position: a line holding a box ("The answer is $\boxed{5}$") yields the box.
  std::stable_sort(scan.candidates.begin(), scan.candidates.end(),
                   [](const Candidate& a, const Candidate& b) { return a.position < b.position; });
  return scan;
}

std::optional<Candidate> last_number(std::string_view region) {
  static const RE2 kNumber(R"((-?\d[\d,]*(?:\.\d+)?(?:/\d+)?|-?\.\d+))");
  re2::StringPiece input(region.data(), region.size());
  re2::StringPiece match;
  std::optional<Candidate> last;
  while (RE2::FindAndConsume(&input, kNumber, &match)) {
    std::string text(match.data(), match.size());
    while (!text.empty() && text.back() == ',') text.pop_back();
    last = Candidate{CandidateKind::kLastNumber, static_cast<size_t>(match.data() - region.data()), text};
  }
  return last;
}

namespace {

// "5 because the sum is odd." -> "5": an answer line without math delimiters ends at the first
// sentence break or explanation word.
std::string cut_at_prose(std::string_view text) {
  size_t cut = text.size();
  for (size_t i = 0; i + 1 < text.size(); ++i) {
    if ((text[i] == '.' && std::isspace(static_cast<unsigned char>(text[i + 1]))) || text[i] == ';') {
      cut = i;
      break;
    }
  }
  std::string lower = to_lower_ascii(text.substr(0, cut));
  for (std::string_view word : {" because ", " since ", " as ", " which ", " where ", ", so ", " so that "}) {
    size_t at = lower.find(word);
    if (at != std::string::npos && at < cut) cut = at;
  }
  return std::string(trim(text.substr(0, cut)));
}

}  // namespace

std::string clean_candidate(const Candidate& candidate) {
  // Box content is LaTeX (where "**" can be a power); answer lines are markdown.
  std::string text = candidate.kind == CandidateKind::kBoxed ? candidate.text : strip_markdown_emphasis(candidate.text);
  if (candidate.kind == CandidateKind::kFinalAnswerLine || candidate.kind == CandidateKind::kAnswerLine) {
    std::string stripped = strip_math_delimiters(text);
    bool has_delims = stripped.find('$') != std::string::npos || stripped.find("\\(") != std::string::npos ||
                      stripped.find("\\[") != std::string::npos;
    if (has_delims) {
      if (auto seg = last_math_segment(stripped)) text = *seg;
    } else {
      text = cut_at_prose(stripped);
    }
  }
  text = strip_math_delimiters(text);
  text = strip_trailing_punctuation(text);
  return text;
}

Extraction extract_final_answer(std::string_view completion, bool answer_after_think, bool last_number_fallback) {
  Extraction out;
  AnswerRegion region = answer_region(completion, answer_after_think);
  if (region.truncated_in_think) {
    out.status = ExtractStatus::kTruncatedInThink;
    out.reason = "truncated inside <think>";
    return out;
  }
  std::string where = region.after_think ? " after </think>" : "";
  CandidateScan scan = find_candidates(region.text);
  if (scan.unclosed_box) {
    out.status = ExtractStatus::kUnclosedBox;
    out.reason = "unclosed \\boxed{ at the end (output truncated inside the answer)";
    return out;
  }
  for (auto it = scan.candidates.rbegin(); it != scan.candidates.rend(); ++it) {
    std::string text = clean_candidate(*it);
    if (text.empty() || is_placeholder(text)) continue;
    out.status = ExtractStatus::kFound;
    out.answer = std::move(text);
    out.source = it->kind;
    out.reason = "from the last " + std::string(candidate_kind_name(it->kind)) + where;
    return out;
  }
  if (last_number_fallback) {
    if (auto number = last_number(region.text)) {
      out.status = ExtractStatus::kFound;
      out.answer = number->text;
      out.source = CandidateKind::kLastNumber;
      // The last number inside a math segment ("we get \\(\\frac{1}{2}\\)") stands for the segment.
      auto segment = last_math_segment_at(region.text);
      if (segment && segment->end > number->position && segment->begin <= number->position) {
        out.answer = strip_trailing_punctuation(segment->text);
        out.source = CandidateKind::kLastMath;
      }
      out.reason = "from the " + std::string(candidate_kind_name(out.source)) + where + " (no final answer marked)";
      return out;
    }
  }
  out.status = ExtractStatus::kNoAnswer;
  out.reason = "no final answer found" + where;
  return out;
}

}  // namespace r1b::tasks::verifier
