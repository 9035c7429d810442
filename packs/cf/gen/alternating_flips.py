ID = "alternating-flips"
RATING = 900
TAGS = "greedy, strings"
TIME_LIMIT_MS = 1000
MEMORY_LIMIT_MB = 256
CHECKER = {"type": "tokens"}
STATEMENT = """
A binary string is alternating if no two neighbouring characters are equal ("0101", "10").
In one operation you flip one character of s (0 becomes 1, 1 becomes 0). Find the minimum number
of operations that make s alternating.

Input
The only line contains a binary string s (1 <= |s| <= 2*10^5).

Output
Print the minimum number of operations.

Example
Input
{example_input}
Output
{example_output}
"""


def inputs(rng):
    return ["0001\n", "0\n", "10\n", "1111\n", "0110\n", "1001100\n",
            "".join(rng.choice("01") for _ in range(3000)) + "\n",
            "".join(rng.choice("0001") for _ in range(3001)) + "\n"]
