ID = "mod-power"
RATING = 1000
TAGS = "math, number theory"
TIME_LIMIT_MS = 1000
MEMORY_LIMIT_MB = 256
CHECKER = {"type": "tokens"}
STATEMENT = """
Compute a^b modulo m for t independent queries.

Input
The first line contains t (1 <= t <= 10^4). Each of the next t lines contains a, b and m
(0 <= a <= 10^18, 0 <= b <= 10^18, 1 <= m <= 10^9).

Output
For each query print a^b mod m on its own line (0^0 = 1).

Example
Input
{example_input}
Output
{example_output}
"""


def case(queries):
    return "%d\n%s" % (len(queries), "".join("%d %d %d\n" % query for query in queries))


def inputs(rng):
    return [case([(2, 10, 1000), (3, 0, 7), (5, 3, 13)]), case([(0, 0, 1000000000), (0, 5, 7), (7, 1, 1)]),
            case([(10**18, 2, 10**9 - 1)]),
            case([(rng.randint(0, 10**9), rng.randint(0, 1000), rng.randint(1, 10**9)) for _ in range(100)]),
            case([(rng.randint(0, 10**18), rng.randint(10**17, 10**18), rng.randint(1, 10**9)) for _ in range(1000)])]
