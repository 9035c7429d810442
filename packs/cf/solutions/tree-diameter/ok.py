import sys
from collections import deque
data = sys.stdin.buffer.read().split()
n = int(data[0])
adjacent = [[] for _ in range(n + 1)]
for i in range(n - 1):
    u, v = int(data[1 + 2 * i]), int(data[2 + 2 * i])
    adjacent[u].append(v)
    adjacent[v].append(u)


def farthest(source):
    distance = [-1] * (n + 1)
    distance[source] = 0
    queue = deque([source])
    last = source
    while queue:
        last = u = queue.popleft()
        for v in adjacent[u]:
            if distance[v] < 0:
                distance[v] = distance[u] + 1
                queue.append(v)
    return last, distance[last]


print(farthest(farthest(1)[0])[1])
