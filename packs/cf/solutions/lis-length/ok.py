import sys
from bisect import bisect_left
data = sys.stdin.buffer.read().split()
tails = []
for token in data[1:]:
    a = int(token)
    i = bisect_left(tails, a)
    if i == len(tails):
        tails.append(a)
    else:
        tails[i] = a
print(len(tails))
