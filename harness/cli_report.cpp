#include "harness/commands.h"

namespace r1b::harness {

void add_report_command(CLI::App& app, int& exit_code) {
  (void)exit_code;
  app.add_subcommand("report", "(not built yet)");
}

}  // namespace r1b::harness
