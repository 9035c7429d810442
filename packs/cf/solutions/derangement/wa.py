# Reversal: a fixed point in the middle when n is odd.
n = int(input())
print(-1 if n == 1 else " ".join(str(n - i + 1) for i in range(1, n + 1)))
