n = int(input())
print(-1 if n == 1 else " ".join(str(i % n + 1) for i in range(1, n + 1)))
