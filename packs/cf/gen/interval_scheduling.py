ID = "interval-scheduling"
RATING = 1200
TAGS = "greedy, sortings"
TIME_LIMIT_MS = 1000
MEMORY_LIMIT_MB = 256
CHECKER = {"type": "tokens"}
STATEMENT = """
There are n talks; talk i runs from time l_i to time r_i (l_i < r_i). You can attend a talk only
from its start to its end, and two talks you attend must not overlap (one may start exactly when
the previous one ends). What is the largest number of talks you can attend?

Input
The first line contains n (1 <= n <= 2*10^5). Each of the next n lines contains l_i and r_i
(0 <= l_i < r_i <= 10^9).

Output
Print the largest number of talks.

Example
Input
{example_input}
Output
{example_output}
"""


def case(talks):
    return "%d\n%s" % (len(talks), "".join("%d %d\n" % talk for talk in talks))


def random_talks(rng, n, horizon, longest):
    talks = []
    for _ in range(n):
        start = rng.randint(0, horizon - 1)
        talks.append((start, min(horizon, start + rng.randint(1, longest))))
    return talks


def inputs(rng):
    return [case([(1, 3), (2, 5), (4, 6)]), case([(1, 4), (3, 5), (0, 6), (5, 7), (8, 9), (5, 9)]), case([(0, 1)]), case([(0, 10), (1, 2), (3, 4)]),
            case([(1, 2), (2, 3), (3, 4)]), case(random_talks(rng, 2000, 10**9, 10**7)),
            case(random_talks(rng, 3000, 10**5, 50))]
