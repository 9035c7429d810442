# Writes OUTPUT, a C++ file defining SYMBOL (unsigned char array, NUL-terminated) and SYMBOLSize
# with the bytes of INPUT, so the chart library is compiled into r1b_results (see
# results/report_page.h). Run by results/CMakeLists.txt at build time: cmake -DINPUT=... -P embed.cmake
foreach(var INPUT OUTPUT SYMBOL)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "embed.cmake: -D${var}=... is required")
  endif()
endforeach()

file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" hex_len)
math(EXPR num_bytes "${hex_len} / 2")
# A byte array, not a string literal: no escaping, no literal length limits, any content.
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REPLACE "0x0a," "0x0a,\n" bytes "${bytes}")  # one output line per source line

file(WRITE "${OUTPUT}.tmp"
  "// Generated from ${INPUT} by results/web/embed.cmake at build time: do not edit.\n"
  "#include \"results/report_page.h\"\n\n"
  "namespace r1b::results {\n\n"
  "const unsigned char ${SYMBOL}[] = {\n${bytes}0x00};\n"
  "const std::size_t ${SYMBOL}Size = ${num_bytes};\n\n"
  "}  // namespace r1b::results\n")
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
