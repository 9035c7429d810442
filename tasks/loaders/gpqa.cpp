// GPQA CSV loader: an RFC 4180 CSV parser, the GPQA columns, and the seeded choice shuffle.
//
// CSV: fields separated by ',', records by "\n" or "\r\n"; a field in double quotes may hold
// commas, newlines and doubled quotes (""); a quote inside an unquoted field is kept as is.
// Errors name the line where the record starts. Blank lines between records are skipped.
//
// The choice shuffle is part of the results' meaning (changing it changes every stored GPQA
// score), so it is fixed here, exactly:
//   mix64(z)      = splitmix64's output function (Steele, Lea, Flood 2014):
//                   z = (z ^ z >> 30) * 0xbf58476d1ce4e5b9; z = (z ^ z >> 27) * 0x94d049bb133111eb;
//                   return z ^ z >> 31
//   fnv1a64(id)   = 64-bit FNV-1a over the bytes of the task id
//   record seed   = mix64(shuffle_seed ^ mix64(fnv1a64(id)))
//   generator     = splitmix64 stream: state = record seed; next() = mix64(state += 0x9e3779b97f4a7c15)
//   bounded(n)    = unbiased: draw r = next() until r >= (2^64 - n) mod n, return r mod n
//   permutation   = Fisher-Yates: perm = [0, 1, 2, 3]; for i = 3 down to 1: swap(perm[i], perm[bounded(i + 1)])
// perm[displayed position] = original index (0 = Correct Answer, 1-3 = Incorrect Answer 1-3).
#include <array>
#include <cstdint>
#include <map>
#include <string_view>
#include <utility>

#include "tasks/loaders/loaders.h"

namespace r1b::tasks {

namespace {

struct CsvRecord {
  std::vector<std::string> fields;
  int line = 0;  // where the record starts
};

Result<std::vector<CsvRecord>> parse_csv(std::string_view text, const std::string& path) {
  std::vector<CsvRecord> records;
  int line = 1;
  size_t pos = 0;
  auto at_newline = [&] { return text[pos] == '\n' || text.substr(pos, 2) == "\r\n"; };
  while (pos < text.size()) {
    CsvRecord record{.fields = {}, .line = line};
    bool quoted_field = false;
    for (bool more_fields = true; more_fields;) {
      std::string field;
      quoted_field = pos < text.size() && text[pos] == '"';
      if (quoted_field) {
        const int open_line = line;
        for (++pos;; ++pos) {
          if (pos >= text.size()) {
            return at_line(Status::invalid_input("unterminated quoted field (the quote opened on line " +
                                                 std::to_string(open_line) +
                                                 " never closes); close it, and write a quote inside a field as \"\""),
                           path, record.line);
          }
          if (text[pos] == '"') {
            if (text.substr(pos, 2) != "\"\"") break;
            ++pos;
          } else if (text[pos] == '\n') {
            ++line;
          }
          field += text[pos];
        }
        ++pos;  // the closing quote
        if (pos < text.size() && text[pos] != ',' && !at_newline()) {
          return at_line(Status::invalid_input("unexpected text after the closing quote of field " +
                                               std::to_string(record.fields.size() + 1) +
                                               "; write a quote inside a quoted field as \"\""),
                         path, record.line);
        }
      } else {
        while (pos < text.size() && text[pos] != ',' && !at_newline()) field += text[pos++];
      }
      record.fields.push_back(std::move(field));
      if (pos < text.size() && text[pos] == ',') {
        ++pos;
      } else {
        more_fields = false;
        if (pos < text.size()) pos += text[pos] == '\n' ? 1 : 2;
        ++line;
      }
    }
    const bool blank = record.fields.size() == 1 && record.fields[0].empty() && !quoted_field;
    if (!blank) records.push_back(std::move(record));
  }
  return records;
}

// The Unicode White_Space characters, UTF-8 encoded (one GPQA option ends in U+2028).
constexpr std::string_view kWhiteSpace[] = {
    " ", "\t", "\n", "\v", "\f", "\r", "\u0085", "\u00A0", "\u1680", "\u2000", "\u2001", "\u2002",
    "\u2003", "\u2004", "\u2005", "\u2006", "\u2007", "\u2008", "\u2009", "\u200A", "\u2028", "\u2029",
    "\u202F", "\u205F", "\u3000"};

std::string trimmed(std::string_view text) {
  for (bool stripped = true; stripped;) {
    stripped = false;
    for (std::string_view space : kWhiteSpace) {
      if (text.starts_with(space)) {
        text.remove_prefix(space.size());
        stripped = true;
      }
      if (text.ends_with(space)) {
        text.remove_suffix(space.size());
        stripped = true;
      }
    }
  }
  return std::string(text);
}

uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t fnv1a64(std::string_view bytes) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char byte : bytes) hash = (hash ^ byte) * 0x100000001b3ULL;
  return hash;
}

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t next() { return mix64(state_ += 0x9e3779b97f4a7c15ULL); }
  // Uniform in [0, n): rejects the (2^64 mod n) lowest draws so every residue is equally likely.
  uint64_t bounded(uint64_t n) {
    const uint64_t threshold = (0 - n) % n;
    for (;;) {
      const uint64_t draw = next();
      if (draw >= threshold) return draw % n;
    }
  }

 private:
  uint64_t state_;
};

std::array<int, 4> choice_permutation(uint64_t shuffle_seed, std::string_view id) {
  SplitMix64 generator(mix64(shuffle_seed ^ mix64(fnv1a64(id))));
  std::array<int, 4> perm = {0, 1, 2, 3};
  for (size_t i = perm.size() - 1; i > 0; --i) std::swap(perm[i], perm[generator.bounded(i + 1)]);
  return perm;
}

constexpr std::array<const char*, 4> kOptionColumns = {"Correct Answer", "Incorrect Answer 1",
                                                       "Incorrect Answer 2", "Incorrect Answer 3"};

// Column name -> index, from the header record; fails naming the first missing required column.
Result<std::map<std::string, size_t>> header_columns(CsvRecord header) {
  if (header.fields[0].starts_with("\xEF\xBB\xBF")) header.fields[0].erase(0, 3);  // UTF-8 BOM
  std::map<std::string, size_t> columns;
  for (size_t i = 0; i < header.fields.size(); ++i) columns.emplace(trimmed(header.fields[i]), i);
  for (const char* required :
       {"Question", kOptionColumns[0], kOptionColumns[1], kOptionColumns[2], kOptionColumns[3]}) {
    if (!columns.count(required)) {
      return Status::invalid_input(std::string("missing required column \"") + required +
                                   "\"; a GPQA CSV needs Question, Correct Answer and Incorrect Answer 1-3");
    }
  }
  return columns;
}

Result<Task> gpqa_task(const CsvRecord& row, int row_number, const std::map<std::string, size_t>& columns,
                       uint64_t shuffle_seed) {
  auto cell = [&](const std::string& column) {
    auto it = columns.find(column);
    return it == columns.end() ? std::string() : trimmed(row.fields[it->second]);
  };
  auto required_cell = [&](const std::string& column) -> Result<std::string> {
    std::string value = cell(column);
    if (value.empty()) return Status::invalid_input("column \"" + column + "\": must not be empty");
    return value;
  };
  Task task;
  task.kind = TaskKind::kChoice;
  task.id = cell("Record ID");
  if (task.id.empty()) task.id = std::to_string(row_number);
  auto question = required_cell("Question");
  R1B_RETURN_IF_ERROR(question);
  task.prompt = *question;
  std::array<std::string, 4> options;
  for (size_t i = 0; i < options.size(); ++i) {
    auto option = required_cell(kOptionColumns[i]);
    R1B_RETURN_IF_ERROR(option);
    options[i] = *option;
  }
  const std::array<int, 4> perm = choice_permutation(shuffle_seed, task.id);
  for (size_t shown = 0; shown < perm.size(); ++shown) {
    task.choices.push_back(options[perm[shown]]);
    if (perm[shown] == 0) task.answer = std::string(1, static_cast<char>('A' + shown));
  }
  task.meta.source = "GPQA";
  const std::string domain = cell("High-level domain");
  const std::string subdomain = cell("Subdomain");
  task.meta.subject = subdomain.empty() ? domain : subdomain;
  if (!domain.empty()) task.meta.extra["domain"] = domain;
  const std::string explanation = cell("Explanation");
  if (!explanation.empty()) task.meta.extra["explanation"] = explanation;
  task.meta.extra["permutation"] = perm;
  task.meta.extra["shuffle_seed"] = shuffle_seed;
  return task;
}

}  // namespace

Result<std::vector<Task>> load_gpqa(const PackSpec& spec) {
  auto text = read_file(spec.path);
  R1B_RETURN_IF_ERROR(text);
  auto records = parse_csv(*text, spec.path);
  R1B_RETURN_IF_ERROR(records);
  if (records->empty()) {
    return Status::invalid_input(spec.path +
                                 ": no tasks (the file is empty); a GPQA CSV needs a header row and records");
  }
  const CsvRecord& header = records->front();
  auto columns = header_columns(header);
  if (!columns.is_ok()) return at_line(columns.status(), spec.path, header.line);
  if (records->size() == 1) {
    return Status::invalid_input(spec.path +
                                 ": no tasks (the CSV has a header but no records); add one record per question");
  }
  std::vector<Task> tasks;
  UniqueIds ids(spec.path);
  for (size_t i = 1; i < records->size(); ++i) {
    const CsvRecord& row = (*records)[i];
    if (row.fields.size() != header.fields.size()) {
      return at_line(Status::invalid_input("record has " + std::to_string(row.fields.size()) +
                                           " fields, the header has " + std::to_string(header.fields.size()) +
                                           "; quote fields that hold commas"),
                     spec.path, row.line);
    }
    auto task = gpqa_task(row, static_cast<int>(i), *columns, spec.shuffle_seed);
    if (!task.is_ok()) return at_line(task.status(), spec.path, row.line);
    R1B_RETURN_IF_ERROR(ids.add(task->id, row.line));
    tasks.push_back(std::move(task).value());
  }
  return tasks;
}

}  // namespace r1b::tasks
