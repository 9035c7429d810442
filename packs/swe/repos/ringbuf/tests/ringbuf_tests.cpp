// One executable, one test per name: `ringbuf_tests <test-name>` (ctest runs each).
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "ringbuf/ring_buffer.h"

namespace {

int failures = 0;

#define EXPECT(cond)                                                         \
  do {                                                                       \
    if (!(cond)) {                                                           \
      std::printf("%s:%d: expectation failed: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                            \
    }                                                                        \
  } while (0)

template <typename F>
bool throws_out_of_range(F&& f) {
  try {
    f();
  } catch (const std::out_of_range&) {
    return true;
  }
  return false;
}

using ringbuf::RingBuffer;

const std::map<std::string, std::function<void()>> kTests = {
    {"push_pop_is_fifo",
     [] {
       RingBuffer<int> rb(4);
       rb.push(1);
       rb.push(2);
       rb.push(3);
       EXPECT(rb.pop() == 1);
       EXPECT(rb.pop() == 2);
       EXPECT(rb.pop() == 3);
       EXPECT(rb.empty());
     }},
    {"size_tracks_pushes",
     [] {
       RingBuffer<int> rb(2);
       EXPECT(rb.size() == 0);
       rb.push(7);
       EXPECT(rb.size() == 1);
       rb.push(8);
       rb.push(9);
       EXPECT(rb.size() == 2 && rb.full());
     }},
    {"pop_on_empty_throws",
     [] {
       RingBuffer<int> rb(1);
       EXPECT(throws_out_of_range([&] { rb.pop(); }));
     }},
    {"at_out_of_range_throws",
     [] {
       RingBuffer<int> rb(3);
       rb.push(1);
       EXPECT(rb.at(0) == 1);
       EXPECT(throws_out_of_range([&] { rb.at(1); }));
     }},
    {"full_buffer_overwrites_oldest",
     [] {
       RingBuffer<std::string> rb(2);
       rb.push("a");
       rb.push("b");
       rb.push("c");
       EXPECT(rb.pop() == "b");
       EXPECT(rb.pop() == "c");
     }},
    {"at_after_wraparound",
     [] {
       RingBuffer<int> rb(3);
       for (int i = 1; i <= 4; ++i) rb.push(i);  // 2, 3, 4 (1 overwritten)
       rb.pop();
       EXPECT(rb.at(0) == 3);
       EXPECT(rb.at(1) == 4);
     }},
    {"to_vector_after_wraparound",
     [] {
       RingBuffer<int> rb(4);
       for (int i = 1; i <= 5; ++i) rb.push(i);  // 2, 3, 4, 5
       rb.pop();
       rb.pop();
       EXPECT((rb.to_vector() == std::vector<int>{4, 5}));
     }},
    {"to_vector_when_full",
     [] {
       RingBuffer<int> rb(3);
       for (int i = 1; i <= 5; ++i) rb.push(i);
       EXPECT((rb.to_vector() == std::vector<int>{3, 4, 5}));
     }},
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 || kTests.find(argv[1]) == kTests.end()) {
    std::fprintf(stderr, "usage: ringbuf_tests <test-name>\n");
    return 2;
  }
  kTests.at(argv[1])();
  return failures == 0 ? 0 : 1;
}
