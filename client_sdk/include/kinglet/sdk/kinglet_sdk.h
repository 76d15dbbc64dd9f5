/* The Kinglet client SDK's C API, for JNI, Swift and other FFI bindings.
 *
 * Opaque handles; every call returns a kinglet_status and, on error, leaves a message for the
 * calling thread in kinglet_last_error(). Handles are thread-safe like their C++ counterparts
 * (see kinglet/sdk/client.h); a model handle must be released before its client is destroyed.
 */
#ifndef KINGLET_SDK_KINGLET_SDK_H_
#define KINGLET_SDK_KINGLET_SDK_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum kinglet_status {
  KINGLET_OK = 0,
  KINGLET_INVALID_ARGUMENT = 1,
  KINGLET_NOT_FOUND = 2,
  KINGLET_CORRUPTION = 3,
  KINGLET_UNSUPPORTED = 4,
  KINGLET_IO_ERROR = 5,
  KINGLET_INTERNAL = 6,
  KINGLET_UNAUTHENTICATED = 7,     /* a manifest not signed by a pinned key */
  KINGLET_FAILED_PRECONDITION = 8, /* an expired or replayed manifest */
  KINGLET_RESOURCE_EXHAUSTED = 9,
  KINGLET_OTHER = 10
} kinglet_status;

typedef struct kinglet_client kinglet_client;
typedef struct kinglet_model kinglet_model;

typedef struct kinglet_client_config {
  const char* server_url;              /* required, "http(s)://host[:port]" */
  const char* const* public_keys_pem;  /* required, pinned Ed25519 keys */
  size_t public_key_count;
  const char* cache_dir;               /* required */
  uint64_t cache_max_bytes;            /* 0 = 64 MiB */
  const char* device_class;            /* NULL or "" = detect */
  const char* ca_file;                 /* NULL = the system's trust store */
  int telemetry;                       /* nonzero = report telemetry */
  uint32_t telemetry_interval_ms;      /* 0 = 60000 */
  uint32_t timeout_ms;                 /* 0 = 10000 */
} kinglet_client_config;

/* The message of the calling thread's last failed call ("" if none). Valid until its next call. */
const char* kinglet_last_error(void);

kinglet_status kinglet_client_create(const kinglet_client_config* config, kinglet_client** out);
/* Flushes telemetry once and frees the client. NULL is ignored. */
void kinglet_client_destroy(kinglet_client* client);
kinglet_status kinglet_client_flush(kinglet_client* client);

kinglet_status kinglet_client_model(kinglet_client* client, const char* name, kinglet_model** out);
void kinglet_model_release(kinglet_model* model);
kinglet_status kinglet_model_prefetch(kinglet_model* model);

/* Runs a model with one float32 input and reads its first output (float32). `shape` has
 * `rank` dimensions. At most `output_capacity` floats are written; `*output_count` receives
 * the output's element count (KINGLET_RESOURCE_EXHAUSTED when it does not fit). */
kinglet_status kinglet_model_run_f32(kinglet_model* model, const char* input_name, const float* input,
                                     const int64_t* shape, size_t rank, float* output, size_t output_capacity,
                                     size_t* output_count);

/* The loaded version (0 before the first load). */
uint32_t kinglet_model_version(const kinglet_model* model);
/* Nonzero when the loaded version came from the cache because the server could not be used. */
int kinglet_model_from_cache(const kinglet_model* model);
/* The last error the model absorbed (served from the cache, failed refresh); "" if none. Valid
 * until the calling thread's next call. */
const char* kinglet_model_last_error(const kinglet_model* model);

#ifdef __cplusplus
}
#endif

#endif /* KINGLET_SDK_KINGLET_SDK_H_ */
