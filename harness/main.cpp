// r1bench: evaluate and train R1-style reasoning models. `r1bench --help` lists the commands;
// `r1bench run` with no arguments runs the bundled demo suite.
#include <CLI/CLI.hpp>

#include "harness/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"r1bench: evaluation and benchmark harness for R1-style reasoning models"};
  app.require_subcommand(1);
  int exit_code = 0;
  r1b::harness::add_run_command(app, exit_code);
  r1b::harness::add_report_command(app, exit_code);
  r1b::harness::add_gate_command(app, exit_code);
  r1b::harness::add_verify_command(app, exit_code);
  r1b::harness::add_serve_command(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;  // usage errors exit 2
  }
  return exit_code;
}
