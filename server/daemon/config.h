// kingletd's settings: defaults that run out of the box on one machine, overridden by an
// INI-style config file (--config), overridden by flags. Every value is validated on start.
#pragma once

#include <cstdint>
#include <string>

#include "kinglet/status.h"

namespace kinglet::server {

struct DaemonConfig {
  std::string data_dir;                    // catalog, blobs, uploads, keys, token
  std::string grpc_listen = "127.0.0.1:50051";
  std::string http_listen = "127.0.0.1:8080";
  std::string public_url;                  // base of blob URLs in manifests; "" = http://<http_listen>
  int workers = 1;                         // compression jobs at once
  int job_threads = 0;                     // evaluation threads per job; 0 = all cores
  uint64_t max_upload_mb = 1024;           // per upload, all files together
  int64_t manifest_ttl_seconds = 7 * 24 * 3600;
  uint64_t blob_cache_mb = 256;            // artifacts served from memory
  int http_threads = 2;
  bool show_help = false;
  std::string help;
};

// Parses argv (and the config file it names). InvalidArgument with a message fit for stderr.
Result<DaemonConfig> ParseDaemonConfig(int argc, const char* const* argv);

// The default data directory: /var/lib/kingletd for root, else $XDG_DATA_HOME/kingletd or
// ~/.local/share/kingletd.
std::string DefaultDataDir();

}  // namespace kinglet::server
