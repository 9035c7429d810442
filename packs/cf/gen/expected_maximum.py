ID = "expected-maximum"
RATING = 1600
TAGS = "probabilities, math"
TIME_LIMIT_MS = 1000
MEMORY_LIMIT_MB = 256
CHECKER = {"type": "float", "abs": 1e-6, "rel": 1e-6}
STATEMENT = """
A fair die has m faces showing 1, 2, ..., m. It is tossed n times independently. Find the expected
value of the largest number shown.

Input
The only line contains m and n (1 <= m, n <= 10^5).

Output
Print the expected maximum. Answers within an absolute or relative error of 10^-6 are accepted.

Example
Input
{example_input}
Output
{example_output}
"""


def inputs(rng):
    return ["6 2\n", "6 1\n", "1 100000\n", "2 2\n", "100000 1\n", "100000 100000\n", "3000 5000\n",
            "%d %d\n" % (rng.randint(1000, 99999), rng.randint(1000, 99999))]
