#include "telemetry/telemetry_buffer.h"

#include <vector>

#include "json/json_value.h"

namespace kinglet::sdk {

void VersionTelemetry::Merge(const VersionTelemetry& o) {
  run_latency.Merge(o.run_latency);
  fetch_latency.Merge(o.fetch_latency);
  runs += o.runs;
  run_errors += o.run_errors;
  loads += o.loads;
  load_errors += o.load_errors;
  fetches += o.fetches;
  fetch_errors += o.fetch_errors;
  fetch_bytes += o.fetch_bytes;
  cache_fallbacks += o.cache_fallbacks;
}

VersionTelemetry* TelemetryBuffer::Slot(const std::string& model, uint32_t version) {
  if (!enabled_) return nullptr;
  auto it = pending_.find({model, version});
  if (it != pending_.end()) return &it->second;
  if (pending_.size() >= max_versions_) {
    ++dropped_;
    return nullptr;
  }
  return &pending_[{model, version}];
}

void TelemetryBuffer::RecordRun(const std::string& model, uint32_t version, double seconds, bool ok) {
  if (!enabled_) return;
  std::lock_guard<std::mutex> lock(mu_);
  VersionTelemetry* t = Slot(model, version);
  if (t == nullptr) return;
  if (ok) {
    ++t->runs;
    t->run_latency.Add(seconds);
  } else {
    ++t->run_errors;
  }
}

void TelemetryBuffer::RecordLoad(const std::string& model, uint32_t version, bool ok) {
  std::lock_guard<std::mutex> lock(mu_);
  if (VersionTelemetry* t = Slot(model, version)) ++(ok ? t->loads : t->load_errors);
}

void TelemetryBuffer::RecordFetch(const std::string& model, uint32_t version, double seconds, uint64_t bytes,
                                  bool ok) {
  std::lock_guard<std::mutex> lock(mu_);
  VersionTelemetry* t = Slot(model, version);
  if (t == nullptr) return;
  t->fetch_bytes += bytes;
  if (ok) {
    ++t->fetches;
    t->fetch_latency.Add(seconds);
  } else {
    ++t->fetch_errors;
  }
}

void TelemetryBuffer::RecordCacheFallback(const std::string& model, uint32_t version) {
  std::lock_guard<std::mutex> lock(mu_);
  if (VersionTelemetry* t = Slot(model, version)) ++t->cache_fallbacks;
}

TelemetrySnapshot TelemetryBuffer::Take() {
  std::lock_guard<std::mutex> lock(mu_);
  TelemetrySnapshot out;
  out.swap(pending_);
  return out;
}

void TelemetryBuffer::PutBack(const TelemetrySnapshot& snapshot) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [key, t] : snapshot) {
    if (VersionTelemetry* slot = Slot(key.first, key.second)) slot->Merge(t);
  }
}

uint64_t TelemetryBuffer::dropped() const {
  std::lock_guard<std::mutex> lock(mu_);
  return dropped_;
}

namespace {

json::Value Histogram(const LatencyHistogram& h) {
  std::vector<json::Value> counts;
  for (uint64_t c : h.counts) counts.push_back(json::Value::Integer(static_cast<int64_t>(c)));
  return json::Value::Object({{"counts", json::Value::Array(std::move(counts))},
                              {"sum_us", json::Value::Integer(static_cast<int64_t>(h.sum_us))}});
}

json::Value Count(uint64_t n) { return json::Value::Integer(static_cast<int64_t>(n)); }

}  // namespace

std::string SerializeBatch(const DeviceIdentity& device, const TelemetrySnapshot& snapshot, int64_t sent_unix) {
  std::vector<json::Value> entries;
  for (const auto& [key, t] : snapshot) {
    entries.push_back(json::Value::Object({
        {"model", json::Value::String(key.first)},
        {"version", Count(key.second)},
        {"runs", Count(t.runs)},
        {"run_errors", Count(t.run_errors)},
        {"loads", Count(t.loads)},
        {"load_errors", Count(t.load_errors)},
        {"fetches", Count(t.fetches)},
        {"fetch_errors", Count(t.fetch_errors)},
        {"fetch_bytes", Count(t.fetch_bytes)},
        {"cache_fallbacks", Count(t.cache_fallbacks)},
        {"latency", Histogram(t.run_latency)},
        {"fetch_latency", Histogram(t.fetch_latency)},
    }));
  }
  const json::Value batch = json::Value::Object({
      {"schema", json::Value::Integer(1)},
      {"device_id", json::Value::String(device.device_id)},
      {"device_class", json::Value::String(device.device_class)},
      {"device_model", json::Value::String(device.device_model)},
      {"os", json::Value::String(device.os)},
      {"sdk_version", json::Value::String(device.sdk_version)},
      {"sent", json::Value::Integer(sent_unix)},
      {"entries", json::Value::Array(std::move(entries))},
  });
  return *json::Canonical(batch);
}

namespace {

Status ReadCount(const json::Value& object, const char* key, uint64_t* out) {
  const json::Value* v = object.Find(key);
  if (v == nullptr || !v->is_integer() || v->integer() < 0) {
    return Status::InvalidArgument(std::string("saved telemetry: \"") + key + "\" is not a count");
  }
  *out = static_cast<uint64_t>(v->integer());
  return Status::Ok();
}

Status ReadHistogram(const json::Value& entry, const char* key, LatencyHistogram* h) {
  const json::Value* v = entry.Find(key);
  const json::Value* counts = v != nullptr ? v->Find("counts") : nullptr;
  if (counts == nullptr || !counts->is_array() || counts->array().size() != kLatencyBuckets) {
    return Status::InvalidArgument(std::string("saved telemetry: \"") + key + "\" is not a histogram");
  }
  for (size_t b = 0; b < kLatencyBuckets; ++b) {
    const json::Value& c = counts->array()[b];
    if (!c.is_integer() || c.integer() < 0) return Status::InvalidArgument("saved telemetry: a bucket is not a count");
    h->counts[b] = static_cast<uint64_t>(c.integer());
  }
  return ReadCount(*v, "sum_us", &h->sum_us);
}

}  // namespace

Result<TelemetrySnapshot> ParseBatchEntries(const std::string& batch) {
  KINGLET_ASSIGN_OR_RETURN(json::Value doc, json::Parse(batch));
  const json::Value* entries = doc.Find("entries");
  if (entries == nullptr || !entries->is_array()) return Status::InvalidArgument("saved telemetry: no entries");
  TelemetrySnapshot out;
  for (const json::Value& e : entries->array()) {
    const json::Value* model = e.Find("model");
    uint64_t version = 0;
    if (model == nullptr || !model->is_string()) return Status::InvalidArgument("saved telemetry: an entry has no model");
    KINGLET_RETURN_IF_ERROR(ReadCount(e, "version", &version));
    if (version > UINT32_MAX) return Status::InvalidArgument("saved telemetry: version out of range");
    VersionTelemetry& t = out[{model->string(), static_cast<uint32_t>(version)}];
    KINGLET_RETURN_IF_ERROR(ReadCount(e, "runs", &t.runs));
    KINGLET_RETURN_IF_ERROR(ReadCount(e, "run_errors", &t.run_errors));
    KINGLET_RETURN_IF_ERROR(ReadCount(e, "loads", &t.loads));
    KINGLET_RETURN_IF_ERROR(ReadCount(e, "load_errors", &t.load_errors));
    KINGLET_RETURN_IF_ERROR(ReadCount(e, "fetches", &t.fetches));
    KINGLET_RETURN_IF_ERROR(ReadCount(e, "fetch_errors", &t.fetch_errors));
    KINGLET_RETURN_IF_ERROR(ReadCount(e, "fetch_bytes", &t.fetch_bytes));
    KINGLET_RETURN_IF_ERROR(ReadCount(e, "cache_fallbacks", &t.cache_fallbacks));
    KINGLET_RETURN_IF_ERROR(ReadHistogram(e, "latency", &t.run_latency));
    KINGLET_RETURN_IF_ERROR(ReadHistogram(e, "fetch_latency", &t.fetch_latency));
  }
  return out;
}

}  // namespace kinglet::sdk
