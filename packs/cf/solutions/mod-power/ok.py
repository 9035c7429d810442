import sys
data = sys.stdin.read().split()
t = int(data[0])
print("\n".join(str(pow(int(data[1 + 3 * i]), int(data[2 + 3 * i]), int(data[3 + 3 * i]))) for i in range(t)))
