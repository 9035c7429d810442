import sys
data = sys.stdin.buffer.read().split()
n, m = int(data[0]), int(data[1])
parent = list(range(n + 1))


def find(v):
    while parent[v] != v:
        parent[v] = parent[parent[v]]
        v = parent[v]
    return v


components = n
out = []
for j in range(m):
    u, v = find(int(data[2 + 2 * j])), find(int(data[3 + 2 * j]))
    if u != v:
        parent[u] = v
        components -= 1
    out.append(components)
print(" ".join(map(str, out)))
