ID = "range-sum-queries"
RATING = 900
TAGS = "prefix sums, implementation"
TIME_LIMIT_MS = 1000
MEMORY_LIMIT_MB = 256
CHECKER = {"type": "tokens"}
STATEMENT = """
You are given an array a_1, ..., a_n and q queries. Query j asks for a_{{l_j}} + a_{{l_j + 1}} + ... + a_{{r_j}}.

Input
The first line contains n and q (1 <= n, q <= 2*10^5). The second line contains n integers a_i
(1 <= a_i <= 10^9). Each of the next q lines contains l_j and r_j (1 <= l_j <= r_j <= n).

Output
Print q lines, the answers in order.

Example
Input
{example_input}
Output
{example_output}
"""


def case(values, queries):
    return "%d %d\n%s\n%s" % (len(values), len(queries), " ".join(map(str, values)),
                              "".join("%d %d\n" % query for query in queries))


def random_queries(rng, n, q):
    return [tuple(sorted((rng.randint(1, n), rng.randint(1, n)))) for _ in range(q)]


def inputs(rng):
    big = [rng.randint(10**8, 10**9) for _ in range(2000)]
    return [case([1, 2, 3, 4, 5], [(1, 5), (2, 3), (4, 4)]), case([7], [(1, 1)]),
            case([10**9] * 5, [(1, 5), (3, 5)]),
            case([rng.randint(1, 100) for _ in range(500)], random_queries(rng, 500, 500)),
            case(big, random_queries(rng, 2000, 1000) + [(1, 2000)])]
