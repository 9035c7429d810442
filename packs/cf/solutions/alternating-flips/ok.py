s = input().strip()
starting_with_zero = sum(1 for i, c in enumerate(s) if c != "01"[i % 2])
print(min(starting_with_zero, len(s) - starting_with_zero))
