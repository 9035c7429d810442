import sys
data = sys.stdin.buffer.read().split()
n, q = int(data[0]), int(data[1])
prefix = [0]
for token in data[2:2 + n]:
    prefix.append(prefix[-1] + int(token))
out = []
for j in range(q):
    l, r = int(data[2 + n + 2 * j]), int(data[3 + n + 2 * j])
    out.append(prefix[r] - prefix[l - 1])
print("\n".join(map(str, out)))
