import sys
data = list(map(int, sys.stdin.buffer.read().split()))
n = data[0]
talks = sorted(zip(data[2::2], data[1::2]))
count, free_from = 0, 0
for end, start in talks:
    if start >= free_from:
        count += 1
        free_from = end
print(count)
