// The C API over Client and Model: handles own C++ objects; errors become codes plus a
// thread-local message.
#include <cstring>

#include "kinglet/sdk/client.h"
#include "kinglet/sdk/kinglet_sdk.h"

struct kinglet_client {
  std::unique_ptr<kinglet::sdk::Client> client;
};
struct kinglet_model {
  std::shared_ptr<kinglet::sdk::Model> model;
};

namespace {

thread_local std::string g_last_error;

kinglet_status Report(const kinglet::Status& status) {
  using kinglet::StatusCode;
  g_last_error = status.ok() ? std::string() : status.message();
  switch (status.code()) {
    case StatusCode::kOk: return KINGLET_OK;
    case StatusCode::kInvalidArgument: return KINGLET_INVALID_ARGUMENT;
    case StatusCode::kNotFound: return KINGLET_NOT_FOUND;
    case StatusCode::kCorruption: return KINGLET_CORRUPTION;
    case StatusCode::kUnsupported: return KINGLET_UNSUPPORTED;
    case StatusCode::kIOError: return KINGLET_IO_ERROR;
    case StatusCode::kInternal: return KINGLET_INTERNAL;
    case StatusCode::kUnauthenticated: return KINGLET_UNAUTHENTICATED;
    case StatusCode::kFailedPrecondition: return KINGLET_FAILED_PRECONDITION;
    case StatusCode::kResourceExhausted: return KINGLET_RESOURCE_EXHAUSTED;
    default: return KINGLET_OTHER;
  }
}

kinglet_status Invalid(const char* message) { return Report(kinglet::Status::InvalidArgument(message)); }

}  // namespace

extern "C" {

const char* kinglet_last_error(void) { return g_last_error.c_str(); }

kinglet_status kinglet_client_create(const kinglet_client_config* config, kinglet_client** out) {
  if (config == nullptr || out == nullptr || config->server_url == nullptr || config->cache_dir == nullptr ||
      (config->public_key_count > 0 && config->public_keys_pem == nullptr)) {
    return Invalid("kinglet_client_create: config, out, server_url, cache_dir and the keys are required");
  }
  kinglet::sdk::ClientConfig c;
  c.server_url = config->server_url;
  for (size_t i = 0; i < config->public_key_count; ++i) {
    if (config->public_keys_pem[i] == nullptr) return Invalid("kinglet_client_create: a public key is NULL");
    c.public_keys_pem.emplace_back(config->public_keys_pem[i]);
  }
  c.cache_dir = config->cache_dir;
  if (config->cache_max_bytes != 0) c.cache_max_bytes = config->cache_max_bytes;
  if (config->device_class != nullptr) c.device_class = config->device_class;
  if (config->ca_file != nullptr) c.ca_file = config->ca_file;
  c.telemetry = config->telemetry != 0;
  if (config->telemetry_interval_ms != 0) c.telemetry_interval = std::chrono::milliseconds(config->telemetry_interval_ms);
  if (config->timeout_ms != 0) c.timeout = std::chrono::milliseconds(config->timeout_ms);
  auto client = kinglet::sdk::Client::Create(std::move(c));
  if (!client.ok()) return Report(client.status());
  *out = new kinglet_client{std::move(*client)};
  return Report(kinglet::Status::Ok());
}

void kinglet_client_destroy(kinglet_client* client) { delete client; }

kinglet_status kinglet_client_flush(kinglet_client* client) {
  if (client == nullptr) return Invalid("kinglet_client_flush: client is NULL");
  return Report(client->client->Flush());
}

kinglet_status kinglet_client_model(kinglet_client* client, const char* name, kinglet_model** out) {
  if (client == nullptr || name == nullptr || out == nullptr) return Invalid("kinglet_client_model: NULL argument");
  auto model = client->client->Model(name);
  if (!model.ok()) return Report(model.status());
  *out = new kinglet_model{std::move(*model)};
  return Report(kinglet::Status::Ok());
}

void kinglet_model_release(kinglet_model* model) { delete model; }

kinglet_status kinglet_model_prefetch(kinglet_model* model) {
  if (model == nullptr) return Invalid("kinglet_model_prefetch: model is NULL");
  return Report(model->model->Prefetch());
}

kinglet_status kinglet_model_run_f32(kinglet_model* model, const char* input_name, const float* input,
                                     const int64_t* shape, size_t rank, float* output, size_t output_capacity,
                                     size_t* output_count) {
  if (model == nullptr || input_name == nullptr || input == nullptr || (shape == nullptr && rank > 0) ||
      output_count == nullptr || (output == nullptr && output_capacity > 0) || rank > 8) {
    return Invalid("kinglet_model_run_f32: NULL argument or rank over 8");
  }
  kinglet::Shape dims(shape, shape + rank);
  for (int64_t d : dims) {
    if (d < 0) return Invalid("kinglet_model_run_f32: negative dimension");
  }
  // The caller's buffer is viewed, not copied.
  std::vector<kinglet::NamedTensor> inputs = {
      {input_name, kinglet::Tensor::View(kinglet::DataType::kFloat32, dims, const_cast<float*>(input))}};
  std::vector<kinglet::NamedTensor> outputs;
  const kinglet::Status ran = model->model->Run(inputs, &outputs);
  if (!ran.ok()) return Report(ran);
  if (outputs.empty() || outputs[0].tensor.dtype() != kinglet::DataType::kFloat32) {
    return Report(kinglet::Status::Unsupported("kinglet_model_run_f32: the model's first output is not float32"));
  }
  const kinglet::Tensor& result = outputs[0].tensor;
  *output_count = static_cast<size_t>(result.element_count());
  if (*output_count > output_capacity) {
    return Report(kinglet::Status::ResourceExhausted("kinglet_model_run_f32: the output has " +
                                                     std::to_string(*output_count) + " floats, the buffer " +
                                                     std::to_string(output_capacity)));
  }
  std::memcpy(output, result.data<float>(), *output_count * sizeof(float));
  return Report(kinglet::Status::Ok());
}

uint32_t kinglet_model_version(const kinglet_model* model) {
  return model == nullptr ? 0 : model->model->info().version;
}

int kinglet_model_from_cache(const kinglet_model* model) {
  return model != nullptr && model->model->info().from_cache_fallback ? 1 : 0;
}

const char* kinglet_model_last_error(const kinglet_model* model) {
  const kinglet::Status error = model == nullptr ? kinglet::Status::Ok() : model->model->last_error();
  g_last_error = error.ok() ? std::string() : error.ToString();
  return g_last_error.c_str();
}

}  // extern "C"
