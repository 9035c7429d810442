ID = "max-average-segment"
RATING = 2000
TAGS = "binary search, prefix sums, math"
TIME_LIMIT_MS = 1000
MEMORY_LIMIT_MB = 256
CHECKER = {"type": "float", "abs": 1e-6, "rel": 1e-6}
STATEMENT = """
You are given an array a_1, ..., a_n and an integer k. Among all contiguous segments of length at
least k, find the largest average value (the sum of the segment divided by its length).

Input
The first line contains n and k (1 <= k <= n <= 2*10^5). The second line contains n integers a_i
(0 <= a_i <= 10^6).

Output
Print the largest average. Answers within an absolute or relative error of 10^-6 are accepted.

Example
Input
{example_input}
Output
{example_output}
"""


def case(k, values):
    return "%d %d\n%s\n" % (len(values), k, " ".join(map(str, values)))


def inputs(rng):
    n = 100000
    return [case(2, [1, 12, 0, 6, 50, 3]), case(1, [7]), case(3, [5, 5, 5, 5]), case(2, [0, 10, 0, 0, 9, 9]),
            case(4, [1000000, 0, 0, 0, 1000000, 1000000, 0, 999999]),
            case(50, [rng.randint(0, 10**6) for _ in range(2000)]),
            case(5, [rng.randint(0, 99) for _ in range(n)])]
