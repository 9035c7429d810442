ID = "two-sum-indices"
RATING = 1100
TAGS = "data structures, hashing, sortings, two pointers"
TIME_LIMIT_MS = 500
MEMORY_LIMIT_MB = 256
CHECKER = {"type": "program"}
STATEMENT = """
You are given an array a_1, ..., a_n and an integer x. Find two different positions i != j such
that a_i + a_j = x.

Input
The first line contains two integers n and x (2 <= n <= 2*10^5, 1 <= x <= 2*10^9).
The second line contains n integers a_1, ..., a_n (1 <= a_i <= 10^9).

Output
Print two integers i and j (1 <= i, j <= n, i != j) with a_i + a_j = x, or -1 if there is no such
pair. If there are several answers, print any of them.

Example
Input
{example_input}
Output
{example_output}
"""


def case(n, x, values):
    return "%d %d\n%s\n" % (n, x, " ".join(map(str, values)))


def inputs(rng):
    tests = [case(5, 9, [2, 7, 11, 15, 4]), case(2, 10, [5, 5]), case(3, 10, [5, 1, 2]),
             case(4, 2000000000, [10**9, 1, 2, 10**9])]
    values = [rng.randint(1, 10**9) for _ in range(1000)]
    tests.append(case(1000, values[17] + values[901], values))
    # Large: only even values and an odd target, so there is no pair and a quadratic scan sees all of them.
    n = 200000
    tests.append(case(n, 999, [2 * rng.randint(1, 499) for _ in range(n)]))
    return tests
