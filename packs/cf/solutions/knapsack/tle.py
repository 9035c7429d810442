# Tries every subset: O(2^n).
import sys
data = list(map(int, sys.stdin.read().split()))
n, capacity = data[0], data[1]
items = list(zip(data[2::2], data[3::2]))
best = 0
for mask in range(1 << n):
    weight = value = 0
    for i in range(n):
        if mask >> i & 1:
            weight += items[i][0]
            value += items[i][1]
    if weight <= capacity:
        best = max(best, value)
print(best)
