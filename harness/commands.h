// The r1bench subcommands. Each add_*_command registers its subcommand, flags and callback on
// the CLI app; the callback sets `exit_code` (0 success, 1 failure or regression, 2 usage or
// data error) and prints one clear line on stderr for every error.
#pragma once

#include <CLI/CLI.hpp>

namespace r1b::harness {

void add_run_command(CLI::App& app, int& exit_code);      // run, regrade
void add_report_command(CLI::App& app, int& exit_code);   // report
void add_gate_command(CLI::App& app, int& exit_code);     // gate
void add_verify_command(CLI::App& app, int& exit_code);   // verify
void add_serve_command(CLI::App& app, int& exit_code);    // serve

}  // namespace r1b::harness
