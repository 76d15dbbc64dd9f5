// kingletd: the Kinglet model server. See `kingletd --help` and docs/architecture.md.
#include <csignal>
#include <iostream>

#include "daemon/config.h"
#include "daemon/daemon.h"

int main(int argc, char** argv) {
  using namespace kinglet::server;
  auto config = ParseDaemonConfig(argc, argv);
  if (!config.ok()) {
    std::cerr << "kingletd: " << config.status().message() << "\n";
    return 2;
  }
  if (config->show_help) {
    std::cout << config->help;
    return 0;
  }
  // Block the stop signals in every thread (gRPC's and the workers inherit this mask); the main
  // thread waits for them below.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  auto daemon = Daemon::Open(*config, std::cout);
  if (!daemon.ok()) {
    std::cerr << "kingletd: " << daemon.status().ToString() << "\n";
    return 1;
  }
  const kinglet::Status started = (*daemon)->Start(std::cout);
  if (!started.ok()) {
    std::cerr << "kingletd: " << started.ToString() << "\n";
    return 1;
  }
  std::cout << "kingletd: ready" << std::endl;
  int signal = 0;
  sigwait(&stop_signals, &signal);
  std::cout << "kingletd: stopping (signal " << signal << ")" << std::endl;
  (*daemon)->Stop();
  return 0;
}
