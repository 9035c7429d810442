# Forgets that an odd-length string may keep one letter of odd count in the middle.
from collections import Counter
s = input().strip()
counts = Counter(s)
if any(k % 2 for k in counts.values()):
    print("NO")
else:
    half = "".join(c * (counts[c] // 2) for c in sorted(counts))
    print(half + half[::-1])
