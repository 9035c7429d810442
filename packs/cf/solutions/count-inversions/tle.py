# Every pair: O(n^2).
import sys
data = sys.stdin.buffer.read().split()
a = list(map(int, data[1:]))
print(sum(1 for i in range(len(a)) for j in range(i + 1, len(a)) if a[i] > a[j]))
