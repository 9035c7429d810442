// The languages a submission may be written in: one table, one row per language.
//
// To add a language, add a row in language.cpp: its name (as in a pack's "language"), the
// fence tags that select it, the source file name, the compile command (empty: nothing to
// compile; the source itself is the artifact) and the run command. Both commands run in the
// box with /box as the working directory.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace r1b::sandbox {

struct Language {
  std::string name;                       // "cpp", "python"
  std::vector<std::string> fence_tags;    // lower-case fence info strings: "cpp", "c++", "cc"
  std::string source_file;                // "main.cpp": the name the source is saved under
  std::vector<std::string> compile_argv;  // run in the work folder; empty: no compile step
  std::string artifact_file;              // what the run needs: "prog" or the source itself
  std::vector<std::string> run_argv;      // "./prog" / "python3 main.py"
  std::string toolchain_hint;             // the package that provides the tools ("g++")
};

// Every supported language. Static storage: references stay valid for the process.
const std::vector<Language>& languages();

// The language whose name or one of whose fence tags equals `name_or_tag` (ASCII
// case-insensitive), or nullptr. Thread-safe.
const Language* find_language(std::string_view name_or_tag);

// The supported language names joined with ", " (for error messages).
std::string language_names();

}  // namespace r1b::sandbox
