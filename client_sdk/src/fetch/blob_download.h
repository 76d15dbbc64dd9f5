// Downloads one artifact blob into its partial file, resuming from whatever that file already
// holds (Range), retrying with backoff, and ending only when the file has exactly the size and
// sha256 the verified manifest promised.
#pragma once

#include <cstdint>
#include <string>

#include "fetch/retry.h"
#include "net/http_client.h"

namespace kinglet::sdk {

struct DownloadStats {
  uint64_t bytes_received = 0;  // over the network, across attempts
  uint64_t resumed_from = 0;    // the largest offset an attempt resumed from (0: never resumed)
  int attempts = 0;
};

// Errors: IOError (network, after the retries), NotFound (404), Corruption (the bytes do not
// hash to `sha256`; the partial file is removed), InvalidArgument (server sent more than `size`).
// `stats` is filled in either way (bytes received count even when the download fails).
Status DownloadBlob(HttpClient& client, const Url& url, const std::string& sha256, uint64_t size,
                    const std::string& partial_path, const RetryPolicy& policy, DownloadStats* stats);

}  // namespace kinglet::sdk
