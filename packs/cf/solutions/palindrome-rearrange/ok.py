from collections import Counter
s = input().strip()
counts = Counter(s)
odd = [c for c, k in counts.items() if k % 2]
if len(odd) > 1:
    print("NO")
else:
    half = "".join(c * (counts[c] // 2) for c in sorted(counts))
    print(half + (odd[0] if odd else "") + half[::-1])
