ID = "palindrome-rearrange"
RATING = 1000
TAGS = "constructive algorithms, strings, greedy"
TIME_LIMIT_MS = 1000
MEMORY_LIMIT_MB = 256
CHECKER = {"type": "program"}
STATEMENT = """
You are given a string s of lowercase Latin letters. Rearrange its letters to obtain a palindrome
(a string that reads the same from left to right and from right to left), or report that this is
impossible.

Input
The only line contains s (1 <= |s| <= 2*10^5).

Output
Print NO if no rearrangement of s is a palindrome. Otherwise print one such palindrome. If there
are several answers, print any of them.

Example
Input
{example_input}
Output
{example_output}
"""


def inputs(rng):
    letters = "abcdefghijklmnopqrstuvwxyz"
    half = "".join(rng.choice(letters) for _ in range(500))
    odd_letter = rng.choice(letters)
    big = list(half + half + odd_letter * 3)
    rng.shuffle(big)
    return ["aabb\n", "aabbc\n", "z\n", "ab\n", "aaabbbb\n", "abcabc\n", "xyzzy\n", "".join(big) + "\n",
            "".join(rng.choice("ab") for _ in range(999)) + "cd\n"]
