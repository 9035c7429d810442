# Keeps the first character and only counts against the pattern it starts.
s = input().strip()
first = int(s[0])
print(sum(1 for i, c in enumerate(s) if int(c) != (first + i) % 2))
