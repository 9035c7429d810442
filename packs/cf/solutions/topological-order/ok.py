import sys
data = sys.stdin.buffer.read().split()
n, m = int(data[0]), int(data[1])
out = [[] for _ in range(n + 1)]
indegree = [0] * (n + 1)
for i in range(m):
    u, v = int(data[2 + 2 * i]), int(data[3 + 2 * i])
    out[u].append(v)
    indegree[v] += 1
order = [v for v in range(1, n + 1) if indegree[v] == 0]
for u in order:
    for v in out[u]:
        indegree[v] -= 1
        if indegree[v] == 0:
            order.append(v)
print(-1 if len(order) != n else " ".join(map(str, order)))
