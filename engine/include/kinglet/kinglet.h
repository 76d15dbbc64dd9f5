// The whole public engine API.
#pragma once

#include "kinglet/model.h"
#include "kinglet/session.h"
#include "kinglet/status.h"
#include "kinglet/tensor.h"
