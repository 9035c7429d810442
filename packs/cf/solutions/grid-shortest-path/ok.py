from collections import deque
n, m = map(int, input().split())
g = [input().strip() for _ in range(n)]
start = next((i, j) for i in range(n) for j in range(m) if g[i][j] == "S")
target = next((i, j) for i in range(n) for j in range(m) if g[i][j] == "T")
moves = {"U": (-1, 0), "D": (1, 0), "L": (0, -1), "R": (0, 1)}
came = {start: None}
queue = deque([start])
while queue:
    r, c = queue.popleft()
    for name, (dr, dc) in moves.items():
        nr, nc = r + dr, c + dc
        if 0 <= nr < n and 0 <= nc < m and g[nr][nc] != "#" and (nr, nc) not in came:
            came[(nr, nc)] = (name, (r, c))
            queue.append((nr, nc))
if target not in came:
    print(-1)
else:
    route = []
    cell = target
    while came[cell] is not None:
        name, cell = came[cell]
        route.append(name)
    print(len(route))
    print("".join(reversed(route)))
