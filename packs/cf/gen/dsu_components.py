ID = "dsu-components"
RATING = 1200
TAGS = "dsu, graphs"
TIME_LIMIT_MS = 1000
MEMORY_LIMIT_MB = 256
CHECKER = {"type": "tokens"}
STATEMENT = """
A country has n cities and no roads. Roads are built one by one; road j connects cities u_j and
v_j (in both directions). After each road is built, print the number of connected components (sets
of cities that can reach each other).

Input
The first line contains n and m (1 <= n, m <= 2*10^5). Each of the next m lines contains u_j and
v_j (1 <= u_j, v_j <= n); a road may connect a city to itself or repeat an earlier road.

Output
Print m integers, the number of components after each road.

Example
Input
{example_input}
Output
{example_output}
"""


def case(n, roads):
    return "%d %d\n%s" % (n, len(roads), "".join("%d %d\n" % road for road in roads))


def inputs(rng):
    chain = [(i, i + 1) for i in range(1, 3000)]
    rng.shuffle(chain)
    return [case(5, [(1, 2), (3, 4), (4, 5)]), case(5, [(1, 2), (3, 4), (2, 1), (1, 4), (5, 5)]), case(1, [(1, 1)]), case(3, [(1, 2), (2, 3), (3, 1)]),
            case(4, [(1, 2), (3, 4), (2, 3)]),
            case(1000, [(rng.randint(1, 1000), rng.randint(1, 1000)) for _ in range(2000)]),
            case(3000, chain)]
