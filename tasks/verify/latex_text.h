// Small text helpers shared by the verifiers (private to tasks/verify/).
//
// Contract: pure functions over borrowed string_views; each returns a new string or an index into
// its input, runs in time linear in the input (times a small constant), never throws on any byte
// sequence, and is thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace r1b::tasks::verifier {

// Index of the '}' that closes the '{' at `open` (which must be a '{'), honouring nesting and
// backslash-escaped braces; nullopt when the group is never closed.
std::optional<size_t> matching_brace(std::string_view text, size_t open);

std::string_view trim(std::string_view text);
std::string to_lower_ascii(std::string_view text);
bool starts_with_at(std::string_view text, size_t pos, std::string_view prefix);

// Removes one layer of math delimiters around the whole text: $..$, $$..$$, \(..\), \[..\].
// Repeats while the text stays wrapped. Leaves unbalanced text as is.
std::string strip_math_delimiters(std::string_view text);

// The text of the last math segment ($..$, $$..$$, \(..\), \[..\]) when `text` mixes prose and
// math (e.g. "the value is $\frac12$ meters"); nullopt when there is no complete segment.
std::optional<std::string> last_math_segment(std::string_view text);

struct MathSegment {
  std::string text;   // trimmed content
  size_t begin = 0;   // offset of the opening delimiter
  size_t end = 0;     // offset just past the closing delimiter
};
// Like last_math_segment, with its position; nullopt when there is none.
std::optional<MathSegment> last_math_segment_at(std::string_view text);

// Removes markdown emphasis markers (** and __ runs, and backticks); a run between two word
// characters is an operator and stays ("2**3").
std::string strip_markdown_emphasis(std::string_view text);

// Removes trailing sentence punctuation and spaces (".", ",", ";", ":") and a trailing "\." /
// "\," spacing command. "!" stays: in an answer it is a factorial.
std::string strip_trailing_punctuation(std::string_view text);

// Replaces text-mode wrappers by their content: \text{..}, \textbf{..}, \textit{..}, \mathrm{..},
// \mathbf{..}, \mbox{..}, \textrm{..}, \operatorname{..}, \boxed{..} and \fbox{..} (nested ok).
std::string unwrap_text_commands(std::string_view text);

// Whether the text is a grading-template placeholder a model echoed (e.g. "$LETTER", "ANSWER",
// "[answer]", "your answer here") rather than an answer.
bool is_placeholder(std::string_view text);

// At most `max_bytes` bytes of `text`, cut at a UTF-8 character boundary, with "..." when cut.
std::string clip_utf8(std::string_view text, size_t max_bytes = 80);

// `text` with every invalid UTF-8 sequence replaced by U+FFFD, so it can go into JSON.
std::string valid_utf8(std::string_view text);

}  // namespace r1b::tasks::verifier
