# The depth of the tree rooted at vertex 1, which is a diameter only when 1 is an end of one.
import sys
from collections import deque
data = sys.stdin.buffer.read().split()
n = int(data[0])
adjacent = [[] for _ in range(n + 1)]
for i in range(n - 1):
    u, v = int(data[1 + 2 * i]), int(data[2 + 2 * i])
    adjacent[u].append(v)
    adjacent[v].append(u)
distance = [-1] * (n + 1)
distance[1] = 0
queue = deque([1])
while queue:
    u = queue.popleft()
    for v in adjacent[u]:
        if distance[v] < 0:
            distance[v] = distance[u] + 1
            queue.append(v)
print(max(distance))
