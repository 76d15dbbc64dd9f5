#include "telemetry/telemetry_service.h"

#include <charconv>
#include <ctime>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/names.h"
#include "telemetry/dashboard_page.h"

namespace kinglet::server {
namespace {

using nlohmann::json;

double Seconds(uint64_t micros) { return static_cast<double>(micros) / 1e6; }

// The shortest text that reads back as the same double (a stream's default 6 digits would round
// large sums, and rate() over them would stall).
std::string Exact(double value) {
  char text[32];
  const auto end = std::to_chars(text, text + sizeof text, value).ptr;
  return std::string(text, end);
}

// One Prometheus histogram series (cumulative buckets, sum, count).
void RenderHistogram(std::ostringstream& out, const char* name, const std::string& labels, const BucketCounts& counts,
                     uint64_t sum_us) {
  uint64_t cumulative = 0;
  for (size_t b = 0; b < kLatencyBuckets; ++b) {
    cumulative += counts[b];
    std::ostringstream le;
    if (b < kLatencyBounds.size()) {
      le << kLatencyBounds[b];
    } else {
      le << "+Inf";
    }
    out << name << "_bucket{" << labels << ",le=\"" << le.str() << "\"} " << cumulative << "\n";
  }
  out << name << "_sum{" << labels << "} " << Exact(Seconds(sum_us)) << "\n";
  out << name << "_count{" << labels << "} " << cumulative << "\n";
}

json Percentiles(const TelemetryCounts& c) {
  return {{"runs", c.runs},
          {"run_errors", c.run_errors},
          {"loads", c.loads},
          {"load_errors", c.load_errors},
          {"fetches", c.fetches},
          {"fetch_errors", c.fetch_errors},
          {"fetch_bytes", c.fetch_bytes},
          {"cache_fallbacks", c.cache_fallbacks},
          {"p50", HistogramQuantile(c.latency, 0.5)},
          {"p90", HistogramQuantile(c.latency, 0.9)},
          {"p99", HistogramQuantile(c.latency, 0.99)},
          {"mean", c.runs ? Seconds(c.latency_sum_us) / static_cast<double>(c.runs) : 0.0},
          {"fetch_p50", HistogramQuantile(c.fetch_latency, 0.5)},
          {"fetch_p90", HistogramQuantile(c.fetch_latency, 0.9)}};
}

}  // namespace

TelemetryService::TelemetryService(Catalog* catalog, TelemetryStore* store, DaemonMetrics* metrics,
                                   TelemetryOptions options)
    : catalog_(catalog),
      store_(store),
      metrics_(metrics),
      options_(std::move(options)),
      limiter_(options_.batches_burst, options_.batches_per_second),
      peer_limiter_(options_.peer_burst, options_.peer_per_second) {}

int64_t TelemetryService::Now() const {
  return options_.now ? options_.now() : static_cast<int64_t>(std::time(nullptr));
}

Result<TelemetryService::Known> TelemetryService::KnownLabels() {
  const uint64_t generation = catalog_->delivery_generation();
  {
    std::lock_guard<std::mutex> lock(known_mu_);
    if (known_.generation == generation) return known_;
  }
  Known fresh;
  fresh.generation = generation;
  fresh.classes.insert("unknown");
  KINGLET_ASSIGN_OR_RETURN(std::vector<ModelSummaryRecord> models, catalog_->ListModels());
  for (const ModelSummaryRecord& m : models) fresh.latest_version[m.name] = m.latest_version;
  KINGLET_ASSIGN_OR_RETURN(std::vector<DeviceClassRecord> classes, catalog_->ListDeviceClasses());
  for (const DeviceClassRecord& c : classes) fresh.classes.insert(c.name);
  std::lock_guard<std::mutex> lock(known_mu_);
  known_ = fresh;
  return fresh;
}

HttpReply TelemetryService::Ingest(const HttpRequestView& request) {
  const std::string type = request.header("content-type");
  if (type.rfind("application/json", 0) != 0) {
    metrics_->CountTelemetryBatch("invalid", 0, 0);
    return ErrorReply(415, "telemetry batches are application/json");
  }
  auto batch = ParseTelemetryBatch(request.body);
  if (!batch.ok()) {
    metrics_->CountTelemetryBatch("invalid", 0, 0);
    return ErrorReply(400, batch.status().message());
  }
  const double monotonic = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  // Per device, and per address (device ids are the device's to choose).
  if (!limiter_.Allow(batch->device_id, monotonic) || (!request.peer.empty() && !peer_limiter_.Allow(request.peer, monotonic))) {
    metrics_->CountTelemetryBatch("rate_limited", 0, batch->entries.size());
    HttpReply r = ErrorReply(429, "too many telemetry batches from this device; keep them and retry later");
    r.headers.push_back({"Retry-After", "60"});
    return r;
  }
  const auto labels = KnownLabels();
  if (!labels.ok()) {
    metrics_->CountTelemetryBatch("failed", 0, batch->entries.size());
    return ErrorReply(503, "telemetry could not be checked against the catalog now; retry later");
  }
  const Known& known = *labels;
  std::vector<const TelemetryEntry*> allowed;
  const bool class_known = known.classes.count(batch->device_class) != 0;
  for (const TelemetryEntry& e : batch->entries) {
    auto model = known.latest_version.find(e.model);
    if (class_known && model != known.latest_version.end() && e.version <= model->second) allowed.push_back(&e);
  }
  const int64_t now = Now();
  const Status stored = store_->Add(*batch, allowed, now);
  if (!stored.ok()) {
    metrics_->CountTelemetryBatch("failed", 0, batch->entries.size());
    return ErrorReply(503, "telemetry could not be stored now; retry later");
  }
  const uint64_t dropped = batch->entries.size() - allowed.size();
  metrics_->CountTelemetryBatch("accepted", allowed.size(), dropped);
  {
    std::lock_guard<std::mutex> lock(known_mu_);
    // A failed prune is tried again with the next batch.
    if (now - last_prune_ >= 3600 && store_->Prune(now - options_.retention_seconds).ok()) last_prune_ = now;
  }
  return JsonReply(202, json{{"stored", allowed.size()}, {"dropped", dropped}}.dump());
}

HttpReply TelemetryService::Metrics() {
  std::ostringstream out;
  auto totals = store_->Totals();
  if (!totals.ok()) return ErrorReply(500, "telemetry store unavailable; see kingletd's log");
  out << "# HELP kinglet_device_inference_seconds On-device inference latency reported by the SDK.\n"
         "# TYPE kinglet_device_inference_seconds histogram\n";
  auto labels = [](const TelemetryRow& r) {
    return "model=\"" + r.model + "\",version=\"" + std::to_string(r.version) + "\",device_class=\"" +
           r.device_class + "\"";
  };
  for (const TelemetryRow& r : *totals) {
    RenderHistogram(out, "kinglet_device_inference_seconds", labels(r), r.counts.latency, r.counts.latency_sum_us);
  }
  out << "# HELP kinglet_device_fetch_seconds Time devices took to fetch an artifact.\n"
         "# TYPE kinglet_device_fetch_seconds histogram\n";
  for (const TelemetryRow& r : *totals) {
    RenderHistogram(out, "kinglet_device_fetch_seconds", labels(r), r.counts.fetch_latency,
                    r.counts.fetch_latency_sum_us);
  }
  struct Counter {
    const char* name;
    const char* help;
    uint64_t TelemetryCounts::*field;
  };
  const Counter counters[] = {
      {"kinglet_device_run_errors_total", "Failed runs reported by devices.", &TelemetryCounts::run_errors},
      {"kinglet_device_loads_total", "Model loads reported by devices.", &TelemetryCounts::loads},
      {"kinglet_device_load_errors_total", "Failed model loads reported by devices.", &TelemetryCounts::load_errors},
      {"kinglet_device_fetch_errors_total", "Failed fetches reported by devices.", &TelemetryCounts::fetch_errors},
      {"kinglet_device_fetch_bytes_total", "Artifact bytes devices downloaded.", &TelemetryCounts::fetch_bytes},
      {"kinglet_device_cache_fallbacks_total", "Times devices served a cached version because the server could not.",
       &TelemetryCounts::cache_fallbacks},
  };
  for (const Counter& c : counters) {
    out << "# HELP " << c.name << " " << c.help << "\n# TYPE " << c.name << " counter\n";
    for (const TelemetryRow& r : *totals) {
      out << c.name << "{" << labels(r) << "} " << r.counts.*c.field << "\n";
    }
  }

  out << "# HELP kinglet_jobs Compression jobs by state.\n# TYPE kinglet_jobs gauge\n";
  std::map<std::string, uint64_t> jobs = {{"queued", 0}, {"running", 0}, {"succeeded", 0}, {"failed", 0}};
  if (auto all = catalog_->ListJobs("", true); all.ok()) {
    for (const JobRecord& j : *all) ++jobs[JobStateName(j.state)];
  }
  for (const auto& [state, n] : jobs) out << "kinglet_jobs{state=\"" << state << "\"} " << n << "\n";
  out << "# HELP kinglet_artifact_bytes Size of each compressed artifact.\n# TYPE kinglet_artifact_bytes gauge\n";
  if (auto models = catalog_->ListModels(); models.ok()) {
    for (const ModelSummaryRecord& m : *models) {
      for (const ArtifactRecord& a : ArtifactsOf(m.name)) {
        out << "kinglet_artifact_bytes{model=\"" << m.name << "\",version=\"" << a.version << "\",device_class=\""
            << a.device_class << "\"} " << a.size << "\n";
      }
    }
  }
  out << metrics_->Render();
  HttpReply r;
  r.headers = {{"Content-Type", "text/plain; version=0.0.4; charset=utf-8"}, {"Cache-Control", "no-store"}};
  r.body = out.str();
  return r;
}

std::vector<ArtifactRecord> TelemetryService::ArtifactsOf(const std::string& model) {
  std::vector<ArtifactRecord> out;
  auto versions = catalog_->ListVersions(model);
  if (!versions.ok()) return out;
  for (const VersionRecord& v : *versions) {
    auto list = catalog_->ListArtifacts(model, v.version);
    if (list.ok()) out.insert(out.end(), list->begin(), list->end());
  }
  return out;
}

Result<std::vector<TelemetryRow>> TelemetryService::Rows(const std::string& model, int64_t since) {
  return store_->Series(model, since, 0);
}

HttpReply TelemetryService::Summary(const std::map<std::string, std::string>& query) {
  auto model = query.find("model");
  if (model == query.end()) {  // the models there are, for the dashboard's picker
    json names = json::array();
    if (auto models = catalog_->ListModels(); models.ok()) {
      for (const ModelSummaryRecord& m : *models) names.push_back(m.name);
    }
    return JsonReply(200, json{{"models", names}}.dump());
  }
  const Status name_ok = ValidateName(model->second, "model name");
  if (!name_ok.ok()) return ErrorReply(400, name_ok.message());
  int64_t hours = 24;
  if (auto h = query.find("hours"); h != query.end()) {
    if (h->second.empty() || h->second.size() > 4 || h->second.find_first_not_of("0123456789") != std::string::npos) {
      return ErrorReply(400, "hours must be 1-720");
    }
    hours = std::stoll(h->second);
    if (hours < 1 || hours > 720) return ErrorReply(400, "hours must be 1-720");
  }
  const int64_t now = Now();
  const int64_t since = now - hours * 3600;
  // About 60 points whatever the range, each a whole number of minutes.
  const int64_t window = std::max<int64_t>(60, (hours * 3600 / 60 + 59) / 60 * 60);
  auto series = store_->Series(model->second, since, window);
  auto totals = store_->Series(model->second, since, 0);
  if (!series.ok() || !totals.ok()) return ErrorReply(500, "telemetry store unavailable; see kingletd's log");

  json out = {{"model", model->second}, {"since", since}, {"now", now}, {"window_seconds", window}};
  json lines = json::array();
  for (size_t i = 0; i < series->size();) {
    const TelemetryRow& first = (*series)[i];
    json points = json::array();
    for (; i < series->size() && (*series)[i].version == first.version &&
           (*series)[i].device_class == first.device_class;
         ++i) {
      json p = Percentiles((*series)[i].counts);
      p["t"] = (*series)[i].bucket;
      points.push_back(p);
    }
    lines.push_back({{"version", first.version}, {"device_class", first.device_class}, {"points", points}});
  }
  out["series"] = lines;
  json rows = json::array();
  for (const TelemetryRow& r : *totals) {
    json row = Percentiles(r.counts);
    row["version"] = r.version;
    row["device_class"] = r.device_class;
    rows.push_back(row);
  }
  out["totals"] = rows;
  json artifacts = json::array();
  for (const ArtifactRecord& a : ArtifactsOf(model->second)) {
    artifacts.push_back({{"version", a.version}, {"device_class", a.device_class}, {"size", a.size}});
  }
  out["artifacts"] = artifacts;
  return JsonReply(200, out.dump());
}

HttpReply TelemetryService::Dashboard() {
  HttpReply r;
  r.headers = {{"Content-Type", "text/html; charset=utf-8"},
               {"Cache-Control", "no-store"},
               {"Content-Security-Policy", "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'"}};
  r.body = DashboardPage();
  return r;
}

}  // namespace kinglet::server
