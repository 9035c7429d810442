// Merge sort counting in an int: overflows past 2^31 - 1 inversions.
#include <cstdio>
#include <vector>
std::vector<int> a, buffer;
int count(int low, int high) {
  if (high - low < 2) return 0;
  int mid = (low + high) / 2;
  int inversions = count(low, mid) + count(mid, high);
  int i = low, j = mid, k = low;
  while (i < mid || j < high) {
    if (j == high || (i < mid && a[i] <= a[j])) buffer[k++] = a[i++];
    else { inversions += mid - i; buffer[k++] = a[j++]; }
  }
  for (int x = low; x < high; ++x) a[x] = buffer[x];
  return inversions;
}
int main() {
  int n;
  std::scanf("%d", &n);
  a.resize(n);
  buffer.resize(n);
  for (auto& v : a) std::scanf("%d", &v);
  std::printf("%d\n", count(0, n));
}
