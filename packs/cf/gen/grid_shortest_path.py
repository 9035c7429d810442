ID = "grid-shortest-path"
RATING = 1400
TAGS = "graphs, shortest paths, bfs"
TIME_LIMIT_MS = 1000
MEMORY_LIMIT_MB = 256
CHECKER = {"type": "program"}
STATEMENT = """
A robot stands in a grid of n rows and m columns. Each cell is free ('.'), a wall ('#'), the start
('S', free) or the target ('T', free); there is exactly one S and one T. In one move the robot goes
to a side-adjacent free cell: up (U), down (D), left (L) or right (R). It may not leave the grid.
Find a shortest route from S to T.

Input
The first line contains n and m (1 <= n, m <= 50, n * m >= 2). Each of the next n lines holds m
characters.

Output
If T cannot be reached, print -1. Otherwise print the minimum number of moves k on the first line
and a string of k letters U, D, L, R describing a shortest route on the second line. If there are
several shortest routes, print any of them.

Example
Input
{example_input}
Output
{example_output}
"""


def grid_case(rows):
    return "%d %d\n%s\n" % (len(rows), len(rows[0]), "\n".join(rows))


def random_grid(rng, n, m, wall_share):
    cells = [["#" if rng.random() < wall_share else "." for _ in range(m)] for _ in range(n)]
    free = [(r, c) for r in range(n) for c in range(m)]
    (sr, sc), (tr, tc) = rng.sample(free, 2)
    cells[sr][sc], cells[tr][tc] = "S", "T"
    return grid_case(["".join(row) for row in cells])


def inputs(rng):
    return [
        grid_case(["S.#", "..#", "#.T"]),
        grid_case(["S#T"]),
        grid_case(["ST"]),
        grid_case(["S....", ".....", ".....", ".....", "....T"]),
        grid_case(["T" + "." * 49] + ["." * 50] * 48 + ["." * 49 + "S"]),
        random_grid(rng, 50, 50, 0.3),
        random_grid(rng, 40, 50, 0.45),
        grid_case(["S" + "." * 48 + "#"] + [("#" * 49 + ".") if i % 2 == 0 else ("." + "#" * 49) for i in range(48)]
                  + ["T" + "." * 49]),
    ]
