ID = "distinct-in-window"
RATING = 1300
TAGS = "data structures, two pointers, hashing"
TIME_LIMIT_MS = 1000
MEMORY_LIMIT_MB = 256
CHECKER = {"type": "tokens"}
STATEMENT = """
Given an array a_1, ..., a_n and a window length k, print for every window a_i, ..., a_{{i+k-1}}
(1 <= i <= n - k + 1) the number of distinct values in it.

Input
The first line contains n and k (1 <= k <= n <= 2*10^5). The second line contains n integers a_i
(1 <= a_i <= 10^9).

Output
Print n - k + 1 integers separated by spaces.

Example
Input
{example_input}
Output
{example_output}
"""


def case(k, values):
    return "%d %d\n%s\n" % (len(values), k, " ".join(map(str, values)))


def inputs(rng):
    n = 50000
    return [case(2, [1, 1, 1, 2]), case(3, [1, 2, 1, 3, 4, 2, 3]), case(1, [5]), case(2, [7, 7, 7]), case(4, [1, 2, 3, 4]),
            case(10, [rng.randint(1, 20) for _ in range(1000)]), case(5, [rng.randint(1, 10**9) for _ in range(500)]),
            case(n // 2, [rng.randint(1, 999) for _ in range(n)])]
