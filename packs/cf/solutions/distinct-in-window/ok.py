import sys
from collections import defaultdict
data = sys.stdin.buffer.read().split()
n, k = int(data[0]), int(data[1])
a = data[2:]
count = defaultdict(int)
answer = []
for i in range(n):
    count[a[i]] += 1
    if i >= k:
        count[a[i - k]] -= 1
        if count[a[i - k]] == 0:
            del count[a[i - k]]
    if i >= k - 1:
        answer.append(len(count))
print(" ".join(map(str, answer)))
