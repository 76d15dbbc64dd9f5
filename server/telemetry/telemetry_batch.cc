#include "telemetry/telemetry_batch.h"

#include <nlohmann/json.hpp>

#include "common/names.h"

namespace kinglet::server {
namespace {

using nlohmann::json;

// Per batch (about a minute of one device), nothing plausible comes near this; it also keeps
// the stored sums far from int64 overflow.
constexpr uint64_t kMaxCount = uint64_t{1} << 32;

Status Bad(const std::string& what) { return Status::InvalidArgument("telemetry batch: " + what); }

Result<std::string> Text(const json& object, const char* key, size_t max) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return Bad(std::string("\"") + key + "\" missing or not a string");
  const std::string value = it->get<std::string>();
  if (value.size() > max) return Bad(std::string("\"") + key + "\" longer than " + std::to_string(max));
  for (char c : value) {
    if (c < 0x20 || c > 0x7e) return Bad(std::string("\"") + key + "\" must be printable ASCII");
  }
  return value;
}

Result<uint64_t> Count(const json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_number_unsigned()) {
    return Bad(std::string("\"") + key + "\" missing or not a non-negative integer");
  }
  const uint64_t value = it->get<uint64_t>();
  if (value > kMaxCount) return Bad(std::string("\"") + key + "\" is implausibly large");
  return value;
}

Status Histogram(const json& entry, const char* key, BucketCounts* counts, uint64_t* sum_us, uint64_t expect_total) {
  auto it = entry.find(key);
  if (it == entry.end() || !it->is_object()) return Bad(std::string("\"") + key + "\" missing or not an object");
  auto c = it->find("counts");
  if (c == it->end() || !c->is_array() || c->size() != kLatencyBuckets) {
    return Bad(std::string("\"") + key + ".counts\" must be an array of " + std::to_string(kLatencyBuckets) +
               " counts");
  }
  uint64_t total = 0;
  for (size_t b = 0; b < kLatencyBuckets; ++b) {
    if (!(*c)[b].is_number_unsigned() || (*c)[b].get<uint64_t>() > kMaxCount) {
      return Bad(std::string("\"") + key + ".counts\" holds something other than a count");
    }
    (*counts)[b] = (*c)[b].get<uint64_t>();
    total += (*counts)[b];
  }
  if (total != expect_total) return Bad(std::string("\"") + key + "\" counts do not add up to the event count");
  KINGLET_ASSIGN_OR_RETURN(*sum_us, Count(*it, "sum_us"));
  return Status::Ok();
}

Result<TelemetryEntry> Entry(const json& e) {
  if (!e.is_object()) return Bad("an entry is not an object");
  TelemetryEntry out;
  KINGLET_ASSIGN_OR_RETURN(out.model, Text(e, "model", 64));
  KINGLET_RETURN_IF_ERROR(ValidateName(out.model, "model name").WithContext("telemetry batch"));
  KINGLET_ASSIGN_OR_RETURN(uint64_t version, Count(e, "version"));
  if (version > UINT32_MAX) return Bad("\"version\" out of range");
  out.version = static_cast<uint32_t>(version);
  TelemetryCounts& c = out.counts;
  KINGLET_ASSIGN_OR_RETURN(c.runs, Count(e, "runs"));
  KINGLET_ASSIGN_OR_RETURN(c.run_errors, Count(e, "run_errors"));
  KINGLET_ASSIGN_OR_RETURN(c.loads, Count(e, "loads"));
  KINGLET_ASSIGN_OR_RETURN(c.load_errors, Count(e, "load_errors"));
  KINGLET_ASSIGN_OR_RETURN(c.fetches, Count(e, "fetches"));
  KINGLET_ASSIGN_OR_RETURN(c.fetch_errors, Count(e, "fetch_errors"));
  KINGLET_ASSIGN_OR_RETURN(c.fetch_bytes, Count(e, "fetch_bytes"));
  KINGLET_ASSIGN_OR_RETURN(c.cache_fallbacks, Count(e, "cache_fallbacks"));
  KINGLET_RETURN_IF_ERROR(Histogram(e, "latency", &c.latency, &c.latency_sum_us, c.runs));
  KINGLET_RETURN_IF_ERROR(Histogram(e, "fetch_latency", &c.fetch_latency, &c.fetch_latency_sum_us, c.fetches));
  return out;
}

}  // namespace

void TelemetryCounts::Add(const TelemetryCounts& o) {
  runs += o.runs;
  run_errors += o.run_errors;
  loads += o.loads;
  load_errors += o.load_errors;
  fetches += o.fetches;
  fetch_errors += o.fetch_errors;
  fetch_bytes += o.fetch_bytes;
  cache_fallbacks += o.cache_fallbacks;
  for (size_t b = 0; b < kLatencyBuckets; ++b) {
    latency[b] += o.latency[b];
    fetch_latency[b] += o.fetch_latency[b];
  }
  latency_sum_us += o.latency_sum_us;
  fetch_latency_sum_us += o.fetch_latency_sum_us;
}

Result<TelemetryBatch> ParseTelemetryBatch(const std::string& body) {
  if (body.size() > kMaxTelemetryBatchBytes) return Bad("larger than 64 KiB");
  const json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return Bad("not a JSON object");
  auto schema = doc.find("schema");
  if (schema == doc.end() || !schema->is_number_unsigned() || schema->get<uint64_t>() != 1) {
    return Bad("\"schema\" must be 1");
  }
  TelemetryBatch batch;
  KINGLET_ASSIGN_OR_RETURN(batch.device_id, Text(doc, "device_id", 128));
  KINGLET_RETURN_IF_ERROR(ValidateDeviceId(batch.device_id).WithContext("telemetry batch"));
  KINGLET_ASSIGN_OR_RETURN(batch.device_class, Text(doc, "device_class", 64));
  if (batch.device_class != "unknown") {
    KINGLET_RETURN_IF_ERROR(ValidateName(batch.device_class, "device class").WithContext("telemetry batch"));
  }
  KINGLET_ASSIGN_OR_RETURN(batch.device_model, Text(doc, "device_model", 64));
  KINGLET_ASSIGN_OR_RETURN(batch.os, Text(doc, "os", 32));
  KINGLET_ASSIGN_OR_RETURN(batch.sdk_version, Text(doc, "sdk_version", 32));
  auto sent = doc.find("sent");
  if (sent == doc.end() || !sent->is_number_integer()) return Bad("\"sent\" missing or not an integer");
  batch.sent = sent->get<int64_t>();
  auto entries = doc.find("entries");
  if (entries == doc.end() || !entries->is_array()) return Bad("\"entries\" missing or not an array");
  if (entries->size() > kMaxTelemetryEntries) return Bad("more than 256 entries");
  for (const json& e : *entries) {
    KINGLET_ASSIGN_OR_RETURN(TelemetryEntry entry, Entry(e));
    batch.entries.push_back(std::move(entry));
  }
  return batch;
}

double HistogramQuantile(const BucketCounts& counts, double q) {
  uint64_t total = 0;
  for (uint64_t c : counts) total += c;
  if (total == 0) return 0;
  const double rank = q * static_cast<double>(total);
  uint64_t below = 0;
  for (size_t b = 0; b < kLatencyBuckets; ++b) {
    if (counts[b] == 0 || static_cast<double>(below + counts[b]) < rank) {
      below += counts[b];
      continue;
    }
    if (b == kLatencyBounds.size()) return kLatencyBounds.back();  // the open bucket: its lower bound
    const double lower = b == 0 ? 0 : kLatencyBounds[b - 1];
    const double upper = kLatencyBounds[b];
    return lower + (upper - lower) * (rank - static_cast<double>(below)) / static_cast<double>(counts[b]);
  }
  return kLatencyBounds.back();
}

}  // namespace kinglet::server
