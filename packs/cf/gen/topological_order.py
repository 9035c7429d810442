ID = "topological-order"
RATING = 1500
TAGS = "graphs, dfs and similar, sortings"
TIME_LIMIT_MS = 1000
MEMORY_LIMIT_MB = 256
CHECKER = {"type": "program"}
STATEMENT = """
There are n tasks numbered 1 to n and m requirements "task u must be done before task v". Find an
order of all tasks that satisfies every requirement, or report that none exists.

Input
The first line contains n and m (1 <= n <= 2*10^5, 0 <= m <= 2*10^5). Each of the next m lines
contains u and v (1 <= u, v <= n, u != v). A requirement may repeat.

Output
Print -1 if no order exists. Otherwise print n distinct integers: the tasks in an order in which
every u comes before its v. If there are several answers, print any of them.

Example
Input
{example_input}
Output
{example_output}
"""


def graph_case(n, edges):
    return "%d %d\n%s" % (n, len(edges), "".join("%d %d\n" % e for e in edges))


def random_dag(rng, n, m, with_cycle):
    order = list(range(1, n + 1))
    rng.shuffle(order)
    edges = []
    for _ in range(m):
        i, j = sorted(rng.sample(range(n), 2))
        edges.append((order[i], order[j]))
    if with_cycle:
        edges.append((order[n - 1], order[0]))
        edges.append((order[0], order[n // 2]))
        edges.append((order[n // 2], order[n - 1]))
    rng.shuffle(edges)
    return graph_case(n, edges)


def inputs(rng):
    return [graph_case(4, [(1, 2), (1, 3), (3, 2), (2, 4)]), graph_case(1, []), graph_case(3, [(1, 2), (2, 3), (3, 1)]),
            graph_case(3, [(2, 1), (2, 1)]), random_dag(rng, 200, 600, False), random_dag(rng, 300, 500, True),
            random_dag(rng, 5000, 5000, False), random_dag(rng, 5000, 5000, True)]
