ID = "triangle-area"
RATING = 800
TAGS = "geometry, math"
TIME_LIMIT_MS = 1000
MEMORY_LIMIT_MB = 256
CHECKER = {"type": "float", "abs": 1e-6, "rel": 1e-6}
STATEMENT = """
Given the integer coordinates of the three vertices of a triangle, print its area. The triangle
may be degenerate (its area is then 0).

Input
Three lines, each with two integers x_i and y_i (|x_i|, |y_i| <= 10^4).

Output
Print the area. Answers within an absolute or relative error of 10^-6 are accepted.

Example
Input
{example_input}
Output
{example_output}
"""


def inputs(rng):
    tests = ["0 0\n4 0\n0 3\n", "0 0\n1 1\n2 2\n", "0 0\n1 0\n0 1\n", "-10000 -10000\n10000 -10000\n-10000 10000\n",
             "3 7\n-2 5\n9 -4\n"]
    for _ in range(3):
        tests.append("".join("%d %d\n" % (rng.randint(-10**4, 10**4), rng.randint(-10**4, 10**4)) for _ in range(3)))
    return tests
