ID = "knapsack"
RATING = 1600
TAGS = "dp"
TIME_LIMIT_MS = 1000
MEMORY_LIMIT_MB = 256
CHECKER = {"type": "tokens"}
STATEMENT = """
There are n items; item i has weight w_i and value v_i. Choose a set of items (each item at most
once) of total weight at most W with the largest total value.

Input
The first line contains n and W (1 <= n <= 100, 1 <= W <= 10^5). Each of the next n lines contains
w_i and v_i (1 <= w_i <= W, 1 <= v_i <= 10^9).

Output
Print the largest total value.

Example
Input
{example_input}
Output
{example_output}
"""


def case(capacity, items):
    return "%d %d\n%s" % (len(items), capacity, "".join("%d %d\n" % item for item in items))


def inputs(rng):
    return [case(7, [(3, 30), (4, 50), (5, 60)]), case(8, [(3, 30), (4, 50), (5, 60)]), case(1, [(1, 7)]), case(5, [(5, 10), (1, 3), (1, 3)]),
            case(10, [(2, 1000000000), (3, 1000000000), (5, 1000000000)]),
            case(1000, [(rng.randint(1, 300), rng.randint(1, 10**9)) for _ in range(60)]),
            case(100000, [(rng.randint(1000, 100000), rng.randint(1, 10**9)) for _ in range(100)])]
