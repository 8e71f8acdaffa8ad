#pragma once
// Stop signals for long-running subcommands. block_stop_signals() runs in main() before any
// thread starts, so that every thread inherits the mask and SIGINT/SIGTERM reach only the
// thread that waits for them.

#include <chrono>

namespace clicktrail::app {

void block_stop_signals();

// Blocks until SIGINT or SIGTERM arrives; returns the signal's number.
int wait_for_stop_signal();

// Waits up to `timeout` for SIGINT or SIGTERM: the signal's number, or 0 when none came.
int wait_for_stop_signal(std::chrono::milliseconds timeout);

}  // namespace clicktrail::app
