#pragma once
// Stop signals for long-running subcommands. block_stop_signals() runs in main() before any
// thread starts, so that every thread inherits the mask and SIGINT/SIGTERM reach only the
// thread that waits for them.

namespace clicktrail::app {

void block_stop_signals();

// Blocks until SIGINT or SIGTERM arrives; returns the signal's number.
int wait_for_stop_signal();

}  // namespace clicktrail::app
