ID = "count-inversions"
RATING = 1600
TAGS = "data structures, divide and conquer, sortings"
TIME_LIMIT_MS = 1000
MEMORY_LIMIT_MB = 256
CHECKER = {"type": "tokens"}
STATEMENT = """
Count the inversions of an array a_1, ..., a_n: the pairs of indices i < j with a_i > a_j.

Input
The first line contains n (1 <= n <= 2*10^5). The second line contains n integers a_i
(1 <= a_i <= 10^9).

Output
Print the number of inversions.

Example
Input
{example_input}
Output
{example_output}
"""


def case(values):
    return "%d\n%s\n" % (len(values), " ".join(map(str, values)))


def inputs(rng):
    n = 100000
    return [case([3, 1, 2, 5, 4]), case([1]), case([2, 2, 2]), case([5, 4, 3, 2, 1]),
            case([rng.randint(1, 10**9) for _ in range(2000)]),
            case(sorted((rng.randint(1, 999) for _ in range(n)), reverse=True))]
