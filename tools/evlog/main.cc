// tools/evlog/main.cc: the `evlog` command-line tool. See cli.h and
// docs/GUIDE.md ("The evlog command-line tool").

#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

#include "cli.h"

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  std::vector<std::string> args(argv + 1, argv + argc);
  evlog::cli::Io io{&std::cin, &std::cout, &std::cerr,
                    /*progress=*/isatty(STDERR_FILENO) == 1};
  int code = evlog::cli::Main(args, io);
  std::cout.flush();
  return code;
}
