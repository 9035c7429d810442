// Device peaks: the dense BF16 tensor-core FLOP/s of known NVIDIA GPUs — the denominator of the
// MFU that runs report (DESIGN.md "FLOP utilization").
//
// Source: NVIDIA datasheets, dense, no sparsity (the datasheets' "with sparsity" figures are twice
// these). The table is keyed by a piece of the name CUDA reports for the device (e.g. "NVIDIA H100
// 80GB HBM3"), matched case-insensitively as whole words (so "A10" does not match "A100" nor "A10G",
// and "H20" does not match "H200"); the first matching entry wins, most specific first:
//   H100 PCIe 756e12, H100 NVL 835e12, H100 (SXM / HBM3) 989e12, H200 NVL 835e12,
//   H200 (SXM) 989e12, H20 148e12, A100 312e12, A10 125e12, L40S 362e12, L4 121e12,
//   RTX 4090 165e12.
// A GPU that is not in the table has no peak: its MFU is not reported unless the user gives one
// (`--peak-tflops`). Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string_view>

namespace r1b::model {

// The dense bf16 peak of the device named `device_name` in FLOP/s, from the table above; nullopt
// for a name no entry matches (an unlisted GPU, "cpu").
std::optional<double> dense_bf16_peak_flops(std::string_view device_name);

// The peak an MFU is computed against: `override_tflops` × 1e12 when it is > 0 (the user's
// `--peak-tflops`), else dense_bf16_peak_flops(device_name).
std::optional<double> mfu_peak_flops(std::string_view device_name, double override_tflops);

}  // namespace r1b::model
