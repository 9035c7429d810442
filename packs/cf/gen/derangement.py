ID = "derangement"
RATING = 800
TAGS = "constructive algorithms"
TIME_LIMIT_MS = 1000
MEMORY_LIMIT_MB = 256
CHECKER = {"type": "program"}
STATEMENT = """
A permutation p of 1, 2, ..., n is called a derangement if p_i != i for every i. Given n, print any
derangement of length n, or report that none exists.

Input
The only line contains one integer n (1 <= n <= 10^5).

Output
Print -1 if no derangement of length n exists. Otherwise print n distinct integers p_1, ..., p_n
(1 <= p_i <= n, p_i != i) separated by spaces. If there are several answers, print any of them.

Example
Input
{example_input}
Output
{example_output}
"""


def inputs(rng):
    return ["4\n", "1\n", "2\n", "3\n", "7\n", "%d\n" % rng.randint(900, 999), "2000\n"]
