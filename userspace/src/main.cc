// ptilab: what does page-table isolation cost here? See cli.cc for usage.
#include "cli/cli.h"

int main(int argc, char** argv) { return ptilab::run_cli(argc, argv); }
