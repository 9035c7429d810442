ID = "coin-change-ways"
RATING = 1400
TAGS = "dp"
TIME_LIMIT_MS = 1000
MEMORY_LIMIT_MB = 256
CHECKER = {"type": "tokens"}
STATEMENT = """
There are n kinds of coins with distinct values c_1, ..., c_n, and an unlimited supply of each.
Count the ways to pay exactly x, where two ways are the same if they use the same number of coins
of every kind (the order of the coins does not matter). Print the count modulo 10^9 + 7.

Input
The first line contains n and x (1 <= n <= 100, 1 <= x <= 10^5). The second line contains n
distinct integers c_i (1 <= c_i <= 10^5).

Output
Print the number of ways modulo 10^9 + 7.

Example
Input
{example_input}
Output
{example_output}
"""


def case(x, coins):
    return "%d %d\n%s\n" % (len(coins), x, " ".join(map(str, coins)))


def inputs(rng):
    return [case(6, [3, 4, 6]), case(9, [2, 3, 5]), case(7, [2]), case(1, [1]), case(5, [1, 2]),
            case(1000, rng.sample(range(1, 200), 20)), case(100000, rng.sample(range(1, 1000), 100))]
