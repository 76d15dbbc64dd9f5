#include "daemon/config.h"

#include <unistd.h>

#include <boost/program_options.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace kinglet::server {
namespace {

namespace po = boost::program_options;

// HOST:PORT with a non-empty host and a port in 1..65535.
Status ValidateListen(const std::string& value, const std::string& flag) {
  const size_t colon = value.rfind(':');
  bool ok = colon != std::string::npos && colon > 0 && colon + 1 < value.size();
  long port = 0;
  if (ok) {
    char* end = nullptr;
    port = std::strtol(value.c_str() + colon + 1, &end, 10);
    ok = *end == '\0' && port >= 1 && port <= 65535;
  }
  if (ok) return Status::Ok();
  return Status::InvalidArgument("--" + flag + " must be HOST:PORT (port 1-65535), got '" + value + "'");
}

}  // namespace

std::string DefaultDataDir() {
  if (::geteuid() == 0) return "/var/lib/kingletd";
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg) return std::string(xdg) + "/kingletd";
  if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + "/.local/share/kingletd";
  return "kingletd-data";
}

Result<DaemonConfig> ParseDaemonConfig(int argc, const char* const* argv) {
  DaemonConfig c;
  std::string config_file;
  po::options_description options("kingletd options (also settable as `name = value` lines in --config)");
  options.add_options()
      ("help,h", "show this help")
      ("config", po::value(&config_file), "config file (INI style: name = value)")
      ("data-dir", po::value(&c.data_dir), "catalog, blobs, keys and token (default: /var/lib/kingletd as root, "
                                           "else ~/.local/share/kingletd)")
      ("grpc-listen", po::value(&c.grpc_listen)->default_value(c.grpc_listen), "admin API address (HOST:PORT)")
      ("http-listen", po::value(&c.http_listen)->default_value(c.http_listen), "delivery address (HOST:PORT)")
      ("public-url", po::value(&c.public_url), "URL apps reach the delivery address by (default http://HTTP-LISTEN)")
      ("workers", po::value(&c.workers)->default_value(c.workers), "compression jobs run at once")
      ("job-threads", po::value(&c.job_threads)->default_value(c.job_threads),
       "evaluation threads per job (0 = all cores)")
      ("max-upload-mb", po::value(&c.max_upload_mb)->default_value(c.max_upload_mb), "largest upload accepted")
      ("manifest-ttl", po::value(&c.manifest_ttl_seconds)->default_value(c.manifest_ttl_seconds),
       "seconds a signed manifest stays valid")
      ("blob-cache-mb", po::value(&c.blob_cache_mb)->default_value(c.blob_cache_mb),
       "memory for hot artifacts served to devices")
      ("http-threads", po::value(&c.http_threads)->default_value(c.http_threads), "HTTP I/O threads");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, options), vm);
    if (vm.count("config")) {
      const std::string path = vm["config"].as<std::string>();
      std::ifstream file(path);
      if (!file) return Status::InvalidArgument("cannot read config file " + path);
      po::store(po::parse_config_file(file, options), vm);  // flags stored first win
    }
    po::notify(vm);
  } catch (const po::error& e) {
    return Status::InvalidArgument(std::string(e.what()) + " (see kingletd --help)");
  }
  std::ostringstream help;
  help << "usage: kingletd [--data-dir DIR] [--grpc-listen HOST:PORT] [--http-listen HOST:PORT] [options]\n\n"
       << options;
  c.help = help.str();
  c.show_help = vm.count("help") > 0;
  if (c.data_dir.empty()) c.data_dir = DefaultDataDir();
  KINGLET_RETURN_IF_ERROR(ValidateListen(c.grpc_listen, "grpc-listen"));
  KINGLET_RETURN_IF_ERROR(ValidateListen(c.http_listen, "http-listen"));
  if (c.workers < 1 || c.workers > 64) return Status::InvalidArgument("--workers must be 1..64");
  if (c.job_threads < 0 || c.job_threads > 256) return Status::InvalidArgument("--job-threads must be 0..256");
  if (c.max_upload_mb < 1 || c.max_upload_mb > (1u << 20)) return Status::InvalidArgument("--max-upload-mb must be 1..1048576");
  if (c.blob_cache_mb > (1u << 20)) return Status::InvalidArgument("--blob-cache-mb must be 0..1048576");
  if (c.http_threads < 1 || c.http_threads > 256) return Status::InvalidArgument("--http-threads must be 1..256");
  if (c.manifest_ttl_seconds < 60) return Status::InvalidArgument("--manifest-ttl must be at least 60 seconds");
  if (c.public_url.empty()) c.public_url = "http://" + c.http_listen;
  while (!c.public_url.empty() && c.public_url.back() == '/') c.public_url.pop_back();
  return c;
}

}  // namespace kinglet::server
