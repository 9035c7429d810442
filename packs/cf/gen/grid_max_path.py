ID = "grid-max-path"
RATING = 1300
TAGS = "dp"
TIME_LIMIT_MS = 1000
MEMORY_LIMIT_MB = 256
CHECKER = {"type": "tokens"}
STATEMENT = """
A grid of n rows and m columns holds an integer in each cell. You start in the top-left cell and
move only right or down until you reach the bottom-right cell. Find the largest possible sum of the
numbers in the visited cells (both ends included).

Input
The first line contains n and m (1 <= n, m <= 1000). Each of the next n lines contains m integers
(|a_ij| <= 10^9).

Output
Print the largest sum.

Example
Input
{example_input}
Output
{example_output}
"""


def case(rows):
    return "%d %d\n%s" % (len(rows), len(rows[0]), "".join(" ".join(map(str, row)) + "\n" for row in rows))


def inputs(rng):
    return [case([[1, 3, 1], [1, 5, 1], [4, 2, 1]]), case([[-5]]), case([[1, -1, 100], [2, 2, -100]]),
            case([[10**9] * 4] * 4), case([[rng.randint(-9, 9) for _ in range(60)] for _ in range(50)]),
            case([[rng.randint(-10**9, 10**9) for _ in range(30)] for _ in range(30)])]
