m, n = map(int, input().split())
print("%.9f" % sum(k * ((k / m) ** n - ((k - 1) / m) ** n) for k in range(1, m + 1)))
