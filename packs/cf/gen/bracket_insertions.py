ID = "bracket-insertions"
RATING = 1000
TAGS = "greedy, strings"
TIME_LIMIT_MS = 1000
MEMORY_LIMIT_MB = 256
CHECKER = {"type": "tokens"}
STATEMENT = """
A bracket sequence is balanced if it can be turned into a correct arithmetic expression by
inserting digits and '+' signs: "(())()" is balanced, ")(" and "(()" are not. You are given a
sequence s of '(' and ')'. Find the minimum number of brackets to insert (anywhere) to make it
balanced.

Input
The only line contains s (1 <= |s| <= 2*10^5).

Output
Print the minimum number of insertions.

Example
Input
{example_input}
Output
{example_output}
"""


def inputs(rng):
    return ["(()\n", "())(\n", "()\n", "(((\n", ")))\n", ")(\n", "(()())\n",
            "".join(rng.choice("()") for _ in range(5000)) + "\n",
            "".join(rng.choice("(((()") for _ in range(5000)) + "\n"]
