ID = "lis-length"
RATING = 1700
TAGS = "binary search, dp, data structures"
TIME_LIMIT_MS = 1000
MEMORY_LIMIT_MB = 256
CHECKER = {"type": "tokens"}
STATEMENT = """
Given an array a_1, ..., a_n, find the length of its longest strictly increasing subsequence: the
largest L for which there are indices i_1 < i_2 < ... < i_L with a_{{i_1}} < a_{{i_2}} < ... < a_{{i_L}}.

Input
The first line contains n (1 <= n <= 2*10^5). The second line contains n integers a_i
(1 <= a_i <= 10^9).

Output
Print L.

Example
Input
{example_input}
Output
{example_output}
"""


def case(values):
    return "%d\n%s\n" % (len(values), " ".join(map(str, values)))


def inputs(rng):
    n = 100000
    return [case([3, 1, 4, 1, 5, 9, 2, 6]), case([7]), case([5, 5, 5]), case([1, 2, 2, 3, 3, 4]),
            case([rng.randint(1, 10**9) for _ in range(3000)]), case(list(range(1000, 0, -1))),
            case([rng.randint(1, 999) for _ in range(n)])]
