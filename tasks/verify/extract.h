// Answer extraction: where in a completion the final answer is, and its raw text.
//
// Contract (private to tasks/verify/): pure functions over a borrowed completion; results own
// their strings. Linear-time scans (re2 for the answer-line patterns), never throw on any byte
// sequence, thread-safe. Completions longer than kMaxCompletionBytes are read only in their last
// kMaxCompletionBytes (the final answer is at the end; a looping generation cannot cost more).
//
// Rules (DESIGN.md "verify()"; issue 3 item 1 and 6):
//  * Region: with after_think, the text after the last "</think>". A completion that opens
//    "<think>" and never closes it was truncated while reasoning: no answer (fails closed).
//  * Candidates, in order of position: every non-empty \boxed{..} / \fbox{..} (nested braces),
//    "final answer is X" / "Final Answer: X" / "the (correct) answer/option is X" / "Answer: X"
//    lines (markdown bold allowed; a bare "**Final Answer**" heading takes the next line).
//    The LAST candidate wins; boxes are never merged. Echoed template placeholders ("\boxed{}",
//    "Answer: $LETTER") and echoed instruction lines ("... 'Answer: $LETTER' (without quotes)")
//    are skipped.
//  * An unclosed \boxed{ after the last complete candidate means the output was truncated inside
//    the answer: no answer (fails closed), never the text of an earlier box.
//  * Fallback (switchable): the last number in the region, or the last $..$ / \\(..\\) math
//    segment when that segment holds the last number ("so we get \\(\\frac{1}{2}\\)").
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace r1b::tasks::verifier {

inline constexpr size_t kMaxCompletionBytes = 256 * 1024;

enum class CandidateKind { kBoxed, kFinalAnswerLine, kAnswerLine, kLastMath, kLastNumber };
std::string_view candidate_kind_name(CandidateKind kind);

struct Candidate {
  CandidateKind kind = CandidateKind::kBoxed;
  size_t position = 0;  // byte offset in the answer region
  std::string text;     // raw answer text (box content, or the rest of the answer line)
};

struct AnswerRegion {
  std::string_view text;       // borrowed from the completion
  bool truncated_in_think = false;
  bool after_think = false;    // the region starts after a </think>
};

AnswerRegion answer_region(std::string_view completion, bool answer_after_think);

struct CandidateScan {
  std::vector<Candidate> candidates;  // in order of position
  bool unclosed_box = false;          // a \boxed{ with no closing brace after the last candidate
};

// All answer candidates of the region (boxes and answer lines), placeholders removed.
CandidateScan find_candidates(std::string_view region);

// The last number in the region ("-12", "3.5", "1,000", "2/3"), as a kLastNumber candidate.
std::optional<Candidate> last_number(std::string_view region);

// Cleans a raw candidate for parsing: math delimiters, markdown emphasis, trailing punctuation,
// and (for answer lines) the last math segment when prose surrounds it.
std::string clean_candidate(const Candidate& candidate);

enum class ExtractStatus { kFound, kNoAnswer, kTruncatedInThink, kUnclosedBox };

struct Extraction {
  ExtractStatus status = ExtractStatus::kNoAnswer;
  std::string answer;  // cleaned answer text (kFound only)
  CandidateKind source = CandidateKind::kBoxed;
  std::string reason;  // where the answer came from, or why there is none
};

// The final answer of a completion by the rules above: region, last candidate, fallback.
Extraction extract_final_answer(std::string_view completion, bool answer_after_think, bool last_number_fallback);

}  // namespace r1b::tasks::verifier
