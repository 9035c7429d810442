#include "model/tokenizer_normalizer.h"

#include <nlohmann/json.hpp>
#include <unicode/bytestream.h>
#include <unicode/stringpiece.h>

namespace r1b::model {

namespace {

Status add_steps(const nlohmann::json& node, const std::string& file, const std::string& field,
                 std::vector<const icu::Normalizer2*>& steps) {
  if (node.is_null()) return Status::ok();
  const auto type = node.is_object() ? node.find("type") : node.end();
  if (!node.is_object() || type == node.end() || !type->is_string()) {
    return Status::invalid_input(file + ": field \"" + field + ".type\": missing or not a string");
  }
  const std::string& name = type->get_ref<const std::string&>();
  if (name == "Sequence") {
    const auto list = node.find("normalizers");
    if (list == node.end() || !list->is_array()) {
      return Status::invalid_input(file + ": field \"" + field + ".normalizers\": missing or not an array");
    }
    for (size_t i = 0; i < list->size(); ++i) {
      R1B_RETURN_IF_ERROR(add_steps((*list)[i], file, field + ".normalizers[" + std::to_string(i) + "]", steps));
    }
    return Status::ok();
  }
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* step = nullptr;
  if (name == "NFC") step = icu::Normalizer2::getNFCInstance(status);
  if (name == "NFD") step = icu::Normalizer2::getNFDInstance(status);
  if (name == "NFKC") step = icu::Normalizer2::getNFKCInstance(status);
  if (name == "NFKD") step = icu::Normalizer2::getNFKDInstance(status);
  if (step == nullptr) {
    return Status::invalid_input(file + ": field \"" + field + ".type\": unsupported normalizer \"" + name +
                                 "\" (supported: NFC, NFD, NFKC, NFKD, Sequence)");
  }
  if (U_FAILURE(status)) {
    return Status::internal(std::string("ICU could not load the ") + name + " normalizer: " + u_errorName(status));
  }
  steps.push_back(step);
  return Status::ok();
}

}  // namespace

Result<Normalizer> Normalizer::from_json(const nlohmann::json& normalizer, const std::string& file) {
  Normalizer out;
  R1B_RETURN_IF_ERROR(add_steps(normalizer, file, "normalizer", out.steps_));
  return out;
}

std::string_view Normalizer::normalize(std::string_view text, std::string& scratch) const {
  std::string_view current = text;
  std::string next;
  for (const icu::Normalizer2* step : steps_) {
    UErrorCode status = U_ZERO_ERROR;
    const icu::StringPiece piece(current.data(), static_cast<int32_t>(current.size()));
    if (step->isNormalizedUTF8(piece, status) && U_SUCCESS(status)) continue;
    status = U_ZERO_ERROR;
    next.clear();
    icu::StringByteSink<std::string> sink(&next);
    step->normalizeUTF8(0, piece, sink, nullptr, status);
    if (U_FAILURE(status)) continue;  // only on allocation failure; the text stays as it was
    scratch.swap(next);
    current = scratch;
  }
  return current;
}

}  // namespace r1b::model
