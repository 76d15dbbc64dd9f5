#include "telemetry/telemetry_store.h"

namespace kinglet::server {
namespace {

constexpr const char* kCounters[] = {"runs",    "run_errors",   "loads",       "load_errors",
                                     "fetches", "fetch_errors", "fetch_bytes", "cache_fallbacks"};
constexpr size_t kCounterCount = sizeof kCounters / sizeof kCounters[0];

// Every numeric column in order: the counters, l0..l16 + latency_sum_us, f0..f16 + fetch_sum_us.
std::vector<std::string> ValueColumns() {
  std::vector<std::string> columns(std::begin(kCounters), std::end(kCounters));
  for (size_t b = 0; b < kLatencyBuckets; ++b) columns.push_back("l" + std::to_string(b));
  columns.push_back("latency_sum_us");
  for (size_t b = 0; b < kLatencyBuckets; ++b) columns.push_back("f" + std::to_string(b));
  columns.push_back("fetch_sum_us");
  return columns;
}

std::vector<uint64_t> Values(const TelemetryCounts& c) {
  std::vector<uint64_t> v = {c.runs,    c.run_errors,   c.loads,       c.load_errors,
                             c.fetches, c.fetch_errors, c.fetch_bytes, c.cache_fallbacks};
  v.insert(v.end(), c.latency.begin(), c.latency.end());
  v.push_back(c.latency_sum_us);
  v.insert(v.end(), c.fetch_latency.begin(), c.fetch_latency.end());
  v.push_back(c.fetch_latency_sum_us);
  return v;
}

TelemetryCounts CountsFrom(const sql::Statement& s, int first_column) {
  TelemetryCounts c;
  uint64_t* counters[kCounterCount] = {&c.runs,    &c.run_errors,   &c.loads,       &c.load_errors,
                                       &c.fetches, &c.fetch_errors, &c.fetch_bytes, &c.cache_fallbacks};
  int col = first_column;
  for (uint64_t* counter : counters) *counter = static_cast<uint64_t>(s.Int(col++));
  for (uint64_t& b : c.latency) b = static_cast<uint64_t>(s.Int(col++));
  c.latency_sum_us = static_cast<uint64_t>(s.Int(col++));
  for (uint64_t& b : c.fetch_latency) b = static_cast<uint64_t>(s.Int(col++));
  c.fetch_latency_sum_us = static_cast<uint64_t>(s.Int(col++));
  return c;
}

std::string Join(const std::vector<std::string>& parts, const std::string& format) {
  std::string out;
  for (const std::string& p : parts) {
    if (!out.empty()) out += ", ";
    std::string item = format;
    for (size_t at; (at = item.find('@')) != std::string::npos;) item.replace(at, 1, p);
    out += item;
  }
  return out;
}

std::string Placeholders(size_t first, size_t count) {
  std::string out;
  for (size_t i = 0; i < count; ++i) out += (i ? ", ?" : "?") + std::to_string(first + i);
  return out;
}

}  // namespace

Result<std::unique_ptr<TelemetryStore>> TelemetryStore::Open(const std::string& path) {
  KINGLET_ASSIGN_OR_RETURN(std::unique_ptr<sql::Database> db, sql::Database::Open(path));
  // synchronous=NORMAL: a power cut may lose the last few batches, never corrupt the file —
  // the right trade for statistics that arrive by the thousand.
  KINGLET_RETURN_IF_ERROR(db->Exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL"));
  const std::string values = Join(ValueColumns(), "@ INTEGER NOT NULL DEFAULT 0");
  KINGLET_RETURN_IF_ERROR(db->Exec(
      "CREATE TABLE IF NOT EXISTS series(model TEXT NOT NULL, version INTEGER NOT NULL, device_class TEXT NOT NULL, "
      "device_model TEXT NOT NULL, bucket INTEGER NOT NULL, " + values +
      ", PRIMARY KEY(model, version, device_class, device_model, bucket)) WITHOUT ROWID;"
      "CREATE INDEX IF NOT EXISTS series_by_time ON series(bucket);"
      "CREATE TABLE IF NOT EXISTS totals(model TEXT NOT NULL, version INTEGER NOT NULL, device_class TEXT NOT NULL, " +
      values + ", PRIMARY KEY(model, version, device_class)) WITHOUT ROWID;"));
  return std::unique_ptr<TelemetryStore>(new TelemetryStore(std::move(db)));
}

Status TelemetryStore::Add(const TelemetryBatch& batch, const std::vector<const TelemetryEntry*>& entries,
                           int64_t now) {
  if (entries.empty()) return Status::Ok();
  std::lock_guard<std::mutex> lock(mu_);
  sql::Transaction tx(db_.get());
  KINGLET_RETURN_IF_ERROR(tx.begin_status());
  if (!upsert_series_) {  // prepared once: the statements are long (70 columns) to compile
    const std::vector<std::string> columns = ValueColumns();
    const std::string names = Join(columns, "@");
    // Saturating: even a flood of maximal batches cannot overflow a column into REAL.
    const std::string sums = Join(columns, "@ = MIN(@ + excluded.@, 4503599627370496)");
    KINGLET_ASSIGN_OR_RETURN(sql::Statement series,
                             db_->Prepare("INSERT INTO series(model, version, device_class, device_model, bucket, " +
                                          names + ") VALUES(?1, ?2, ?3, ?4, ?5, " + Placeholders(6, columns.size()) +
                                          ") ON CONFLICT DO UPDATE SET " + sums));
    KINGLET_ASSIGN_OR_RETURN(sql::Statement totals,
                             db_->Prepare("INSERT INTO totals(model, version, device_class, " + names +
                                          ") VALUES(?1, ?2, ?3, " + Placeholders(4, columns.size()) +
                                          ") ON CONFLICT DO UPDATE SET " + sums));
    upsert_series_.emplace(std::move(series));
    upsert_totals_.emplace(std::move(totals));
  }
  sql::Statement& series = *upsert_series_;
  sql::Statement& totals = *upsert_totals_;
  const int64_t bucket = now - now % kBucketSeconds;
  for (const TelemetryEntry* e : entries) {
    const std::vector<uint64_t> values = Values(e->counts);
    series.Reset();
    series.Bind(1, e->model).Bind(2, int64_t{e->version}).Bind(3, batch.device_class).Bind(4, batch.device_model);
    series.Bind(5, bucket);
    totals.Reset();
    totals.Bind(1, e->model).Bind(2, int64_t{e->version}).Bind(3, batch.device_class);
    for (size_t i = 0; i < values.size(); ++i) {
      series.Bind(static_cast<int>(6 + i), static_cast<int64_t>(values[i]));
      totals.Bind(static_cast<int>(4 + i), static_cast<int64_t>(values[i]));
    }
    KINGLET_RETURN_IF_ERROR(series.Run());
    KINGLET_RETURN_IF_ERROR(totals.Run());
  }
  series.Reset();
  totals.Reset();
  return tx.Commit();
}

Result<std::vector<TelemetryRow>> TelemetryStore::Totals() {
  std::lock_guard<std::mutex> lock(mu_);
  KINGLET_ASSIGN_OR_RETURN(sql::Statement s,
                           db_->Prepare("SELECT model, version, device_class, " + Join(ValueColumns(), "@") +
                                        " FROM totals ORDER BY model, version, device_class"));
  std::vector<TelemetryRow> rows;
  while (true) {
    KINGLET_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    rows.push_back({s.Text(0), static_cast<uint32_t>(s.Int(1)), s.Text(2), "", 0, CountsFrom(s, 3)});
  }
  return rows;
}

Result<std::vector<TelemetryRow>> TelemetryStore::Series(const std::string& model, int64_t since,
                                                         int64_t window_seconds) {
  const std::string window = window_seconds > 0 ? "(bucket / " + std::to_string(window_seconds) + ") * " +
                                                      std::to_string(window_seconds)
                                                : "0";
  std::lock_guard<std::mutex> lock(mu_);
  KINGLET_ASSIGN_OR_RETURN(sql::Statement s,
                           db_->Prepare("SELECT version, device_class, " + window + " AS w, " +
                                        Join(ValueColumns(), "CAST(MIN(TOTAL(@), 9.0e18) AS INTEGER)") +
                                        " FROM series WHERE model = ?1 AND bucket >= ?2 "
                                        "GROUP BY version, device_class, w ORDER BY version, device_class, w"));
  s.Bind(1, model).Bind(2, since);
  std::vector<TelemetryRow> rows;
  while (true) {
    KINGLET_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    rows.push_back({model, static_cast<uint32_t>(s.Int(0)), s.Text(1), "", s.Int(2), CountsFrom(s, 3)});
  }
  return rows;
}

Status TelemetryStore::Prune(int64_t before) {
  std::lock_guard<std::mutex> lock(mu_);
  KINGLET_ASSIGN_OR_RETURN(sql::Statement s, db_->Prepare("DELETE FROM series WHERE bucket < ?1"));
  s.Bind(1, before);
  return s.Run();
}

}  // namespace kinglet::server
