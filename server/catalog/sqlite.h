// A thin RAII layer over SQLite's C API: a connection and prepared statements whose errors come
// back as Status values naming the statement. Not thread-safe; the Catalog serialises access.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "kinglet/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace kinglet::server::sql {

class Database;

class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  ~Statement();

  // Bind by 1-based position.
  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, double value);
  Statement& Bind(int index, const std::string& value);
  Statement& BindNull(int index);

  // Advances: true with a row ready, false when done, or an error.
  Result<bool> Step();
  // Runs to completion, ignoring rows.
  Status Run();
  // Makes the statement ready to run again with new bindings.
  void Reset();

  int64_t Int(int column) const;
  double Double(int column) const;
  std::string Text(int column) const;
  bool IsNull(int column) const;

 private:
  friend class Database;
  Statement(Database* db, sqlite3_stmt* stmt, std::string sql);

  Database* db_;
  sqlite3_stmt* stmt_;
  std::string sql_;
  Status bind_status_;
};

class Database {
 public:
  // Opens (creating) the file; busy timeout 5 s; foreign keys on.
  static Result<std::unique_ptr<Database>> Open(const std::string& path);
  ~Database();

  Result<Statement> Prepare(const std::string& sql);
  // Runs one or more statements without parameters.
  Status Exec(const std::string& sql);
  int64_t LastInsertId() const;
  int Changes() const;
  std::string LastError() const;
  const std::string& path() const { return path_; }

 private:
  Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_;
  std::string path_;
};

// BEGIN IMMEDIATE ... COMMIT, rolled back on destruction unless Commit() succeeded.
class Transaction {
 public:
  explicit Transaction(Database* db);
  ~Transaction();
  const Status& begin_status() const { return begin_; }
  Status Commit();

 private:
  Database* db_;
  Status begin_;
  bool done_ = false;
};

}  // namespace kinglet::server::sql
