# Greedy: steps to the larger neighbour each time.
import sys
data = list(map(int, sys.stdin.buffer.read().split()))
n, m = data[0], data[1]
a = [data[2 + i * m: 2 + (i + 1) * m] for i in range(n)]
i = j = 0
total = a[0][0]
while (i, j) != (n - 1, m - 1):
    if i == n - 1 or (j < m - 1 and a[i][j + 1] >= a[i + 1][j]):
        j += 1
    else:
        i += 1
    total += a[i][j]
print(total)
