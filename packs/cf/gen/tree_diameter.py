ID = "tree-diameter"
RATING = 1500
TAGS = "trees, dfs and similar, graphs"
TIME_LIMIT_MS = 1000
MEMORY_LIMIT_MB = 256
CHECKER = {"type": "tokens"}
STATEMENT = """
Given a tree with n vertices, find its diameter: the largest number of edges on a simple path
between two vertices.

Input
The first line contains n (1 <= n <= 2*10^5). Each of the next n - 1 lines contains an edge u v
(1 <= u, v <= n). The edges form a tree.

Output
Print the diameter.

Example
Input
{example_input}
Output
{example_output}
"""


def case(n, edges):
    return "%d\n%s" % (n, "".join("%d %d\n" % edge for edge in edges))


def random_tree(rng, n):
    labels = list(range(1, n + 1))
    rng.shuffle(labels)
    edges = [(labels[i], labels[rng.randrange(max(0, i - 3), i)]) for i in range(1, n)]
    rng.shuffle(edges)
    return case(n, edges)


def inputs(rng):
    # A vertex 1 in the middle of a long path: one search from vertex 1 finds only half of it.
    path = [(i, i + 1) for i in range(2, 10)] + [(1, 2), (1, 11), (11, 12)]
    return [case(5, [(1, 2), (2, 3), (2, 4), (4, 5)]), case(5, [(1, 2), (1, 3), (3, 4), (3, 5)]), case(1, []), case(2, [(1, 2)]), case(12, path),
            case(6, [(1, 2), (1, 3), (1, 4), (4, 5), (5, 6)]), random_tree(rng, 3000), random_tree(rng, 5000)]
