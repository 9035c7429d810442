import sys
data = list(map(int, sys.stdin.buffer.read().split()))
n, m = data[0], data[1]
NEG = float("-inf")
best = [NEG] * m
for i in range(n):
    row = data[2 + i * m: 2 + (i + 1) * m]
    for j in range(m):
        before = 0 if i == 0 and j == 0 else max(best[j], best[j - 1] if j else NEG)
        best[j] = before + row[j]
print(best[m - 1])
