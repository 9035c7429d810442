# verify/: the libFuzzer target over extraction + parsing + comparison (verify_fuzzer.cpp), built
# with clang from Debian when it is installed, and run by ctest for a bounded time:
#   VerifyFuzz.Build               builds it (a ctest fixture, so a plain build stays fast)
#   VerifyFuzz.BoundedRunNoCrash   60 s of fuzzing (fixed -seed=1, so CI is reproducible) from the committed seeds; fails on a crash, a
#                                  sanitizer report, any input slower than 1 s, or RSS over 2 GB.
find_program(R1B_CLANGXX NAMES clang++ clang++-16 clang++-15 clang++-14)
if(NOT R1B_CLANGXX)
  message(STATUS "r1bench: clang++ not found — the verifier fuzz test is left out (apt-get install clang)")
  return()
endif()
pkg_check_modules(R1B_FUZZ_DEPS REQUIRED re2 ginac gmpxx icu-uc libseccomp tinyxml2 libcrypto)
# Code and patch grading (verify/program_answer.cpp) links the sandbox library as built by the
# project (not instrumented: the fuzzer's inputs are math and choice completions).
file(GLOB R1B_VERIFY_SOURCES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tasks/verify/*.cpp)
set(R1B_FUZZER ${CMAKE_CURRENT_BINARY_DIR}/verify_fuzzer_bin/verify_fuzzer)
file(MAKE_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/verify_fuzzer_bin)
add_custom_command(
  OUTPUT ${R1B_FUZZER}
  COMMAND ${R1B_CLANGXX} -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined
          -I${PROJECT_SOURCE_DIR} ${R1B_FUZZ_DEPS_CFLAGS}
          ${PROJECT_SOURCE_DIR}/tests/tasks/verify/verify_fuzzer.cpp ${R1B_VERIFY_SOURCES}
          ${PROJECT_SOURCE_DIR}/tasks/task.cpp $<TARGET_FILE:r1b_sandbox> -lboost_filesystem
          ${R1B_FUZZ_DEPS_LDFLAGS} -o ${R1B_FUZZER}
  DEPENDS ${PROJECT_SOURCE_DIR}/tests/tasks/verify/verify_fuzzer.cpp ${R1B_VERIFY_SOURCES} r1b_sandbox
  COMMENT "Building the verifier fuzzer with clang (libFuzzer + ASan + UBSan)"
  VERBATIM)
add_custom_target(verify_fuzzer DEPENDS ${R1B_FUZZER})
add_test(NAME VerifyFuzz.Build COMMAND ${CMAKE_COMMAND} --build ${CMAKE_BINARY_DIR} --target verify_fuzzer)
set_tests_properties(VerifyFuzz.Build PROPERTIES FIXTURES_SETUP verify_fuzzer TIMEOUT 900)
add_test(NAME VerifyFuzz.BoundedRunNoCrash
  COMMAND ${CMAKE_COMMAND} -E env ASAN_OPTIONS=detect_leaks=0
          ${R1B_FUZZER} -seed=1 -max_total_time=60 -timeout=1 -rss_limit_mb=2048 -max_len=4096
          -artifact_prefix=${CMAKE_CURRENT_BINARY_DIR}/verify_fuzz_
          ${CMAKE_CURRENT_BINARY_DIR}/verify_fuzz_corpus ${PROJECT_SOURCE_DIR}/tests/tasks/verify/fuzz_corpus)
set_tests_properties(VerifyFuzz.BoundedRunNoCrash PROPERTIES FIXTURES_REQUIRED verify_fuzzer TIMEOUT 300)
file(MAKE_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/verify_fuzz_corpus)
