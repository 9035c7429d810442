#!/usr/bin/env python3
"""Development tool of the r1bench-cf pack: builds problems.jsonl and checks every solution.

  pack_tool.py build [ID...]    regenerate the tests of the named problems (default: all) from
                                gen/<id>.py (fixed seed), compute the expected outputs with the
                                reference solution solutions/<id>/ok.cpp (else ok.py), and rewrite
                                problems.jsonl (other problems' lines are kept as they are)
  pack_tool.py verify [ID...]   compile (g++ -O2) and run every solution of the named problems on
                                every test, and check that each gets the verdict its file name
                                promises (ok -> correct, wa -> wrong, tle -> timeout,
                                re -> runtime_error, mle -> memory_limit), that ok solutions use at
                                most 1/3 of the time limit and tle solutions at least 3x of it

The comparison rules are those of the sandbox (sandbox/README.md): exact, tokens, float
(abs OR rel), program (testlib contract: checker <input> <output> <answer>, exit 0 = accepted,
1 = wrong answer, 2 = presentation error, anything else = judge failure). Time is the CPU time
of the solution (user + system), memory its peak resident set. This is a development tool; the
real judge is the sandbox.
"""
import importlib.util
import json
import math
import os
import random
import resource
import subprocess
import sys
import tempfile
import time

PACK_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROBLEMS = os.path.join(PACK_DIR, "problems.jsonl")
BUILD_DIR = os.path.join(tempfile.gettempdir(), "r1b_cf_pack_build")
SEED = 20260101
CXX = ["g++", "-O2", "-std=c++17", "-pipe"]
VERDICT_OF_STEM = {"ok": "correct", "wa": "wrong", "tle": "timeout", "re": "runtime_error", "mle": "memory_limit"}


def load_spec(problem_id):
    path = os.path.join(PACK_DIR, "gen", problem_id.replace("-", "_") + ".py")
    spec = importlib.util.spec_from_file_location(problem_id.replace("-", "_"), path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.ID == problem_id, (path, module.ID)
    return module


def all_ids():
    return sorted(
        os.path.splitext(name)[0].replace("_", "-")
        for name in os.listdir(os.path.join(PACK_DIR, "gen"))
        if name.endswith(".py") and name != "pack_tool.py"
    )


def compile_cpp(source):
    os.makedirs(BUILD_DIR, exist_ok=True)
    rel = os.path.relpath(source, PACK_DIR).replace(os.sep, "__")
    binary = os.path.join(BUILD_DIR, rel[:-4])
    if not os.path.exists(binary) or os.path.getmtime(binary) < os.path.getmtime(source):
        result = subprocess.run(CXX + ["-o", binary, source], capture_output=True, text=True)
        if result.returncode != 0:
            return None, result.stderr
    return [binary], ""


def command_of(source):
    if source.endswith(".py"):
        return [sys.executable, source], ""
    return compile_cpp(source)


def run(command, input_text, cpu_limit_s, memory_limit_mb):
    """Runs `command`; returns (exit status, stdout, cpu seconds, peak RSS MB)."""
    def limits():
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_limit_s, cpu_limit_s + 1))
        resource.setrlimit(resource.RLIMIT_STACK, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        address_space = 4 * memory_limit_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))

    with tempfile.TemporaryFile() as stdin, tempfile.TemporaryFile() as stdout:
        stdin.write(input_text.encode())
        stdin.seek(0)
        process = subprocess.Popen(command, stdin=stdin, stdout=stdout, stderr=subprocess.DEVNULL,
                                   preexec_fn=limits)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = status  # reaped by wait4 above; Popen must not wait again
        stdout.seek(0)
        output = stdout.read().decode(errors="replace")
    cpu = usage.ru_utime + usage.ru_stime
    return status, output, cpu, usage.ru_maxrss / 1024.0


def normalise_lines(text):
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def is_number(token):
    try:
        return math.isfinite(float(token))
    except ValueError:
        return False


def compare(checker, checker_command, input_text, output, answer):
    """(accepted, reason); raises RuntimeError on a judge failure."""
    kind = checker["type"]
    if kind == "exact":
        return normalise_lines(output) == normalise_lines(answer), "lines differ"
    if kind == "tokens":
        return output.split() == answer.split(), "tokens differ"
    if kind == "float":
        got, want = output.split(), answer.split()
        if len(got) != len(want):
            return False, "token count %d != %d" % (len(got), len(want))
        for g, w in zip(got, want):
            if is_number(w) and is_number(g):
                gv, wv = float(g), float(w)
                if abs(gv - wv) > checker["abs"] and abs(gv - wv) > checker["rel"] * abs(wv):
                    return False, "%s != %s" % (g, w)
            elif g != w:
                return False, "%s != %s" % (g, w)
        return True, ""
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for name, text in (("input", input_text), ("output", output), ("answer", answer)):
            paths.append(os.path.join(folder, name))
            with open(paths[-1], "w") as f:
                f.write(text)
        result = subprocess.run(checker_command + paths, capture_output=True, text=True, timeout=30)
    reason = (result.stdout + result.stderr).strip().split("\n")[0]
    if result.returncode not in (0, 1, 2):
        raise RuntimeError("checker failed (exit %d): %s" % (result.returncode, reason))
    return result.returncode == 0, reason


def checker_command(problem_id, checker):
    if checker["type"] != "program":
        return None
    command, errors = compile_cpp(os.path.join(PACK_DIR, "checkers", problem_id + ".cpp"))
    if command is None:
        raise RuntimeError("checker of %s does not compile:\n%s" % (problem_id, errors))
    return command


def reference_solution(problem_id):
    folder = os.path.join(PACK_DIR, "solutions", problem_id)
    for name in ("ok.cpp", "ok.py"):
        if os.path.exists(os.path.join(folder, name)):
            return os.path.join(folder, name)
    raise RuntimeError("%s has no ok.cpp or ok.py" % problem_id)


def build_problem(problem_id):
    spec = load_spec(problem_id)
    rng = random.Random("%d/%s" % (SEED, problem_id))
    command, errors = command_of(reference_solution(problem_id))
    if command is None:
        raise RuntimeError(errors)
    cases = []
    for input_text in spec.inputs(rng):
        status, output, _, _ = run(command, input_text, 60, 2048)
        if status != 0:
            raise RuntimeError("%s: the reference solution failed on a test (status %d)" % (problem_id, status))
        cases.append({"input": input_text, "output": output})
    checker = dict(spec.CHECKER)
    if checker["type"] == "program":
        with open(os.path.join(PACK_DIR, "checkers", problem_id + ".cpp")) as f:
            checker = {"type": "program", "language": "cpp", "source": f.read()}
    prompt = spec.STATEMENT.strip().format(example_input=cases[0]["input"].rstrip("\n"),
                                          example_output=cases[0]["output"].rstrip("\n"))
    prompt += "\n\nTime limit: %d ms. Memory limit: %d MB." % (spec.TIME_LIMIT_MS, spec.MEMORY_LIMIT_MB)
    return {
        "id": problem_id,
        "kind": "code",
        "prompt": prompt,
        "tests": {"language": "cpp", "time_limit_ms": spec.TIME_LIMIT_MS, "memory_limit_mb": spec.MEMORY_LIMIT_MB,
                  "checker": checker, "cases": cases},
        "meta": {"source": "r1bench-cf", "rating": spec.RATING, "subject": spec.TAGS},
    }


def read_problems():
    if not os.path.exists(PROBLEMS):
        return {}
    with open(PROBLEMS) as f:
        return {problem["id"]: problem for problem in map(json.loads, filter(str.strip, f))}


def build(ids):
    problems = read_problems()
    for problem_id in ids:
        problems[problem_id] = build_problem(problem_id)
        print("built", problem_id, len(problems[problem_id]["tests"]["cases"]), "tests")
    with open(PROBLEMS, "w") as f:
        for problem_id in sorted(problems):
            f.write(json.dumps(problems[problem_id], ensure_ascii=False) + "\n")
    print("problems.jsonl: %d problems, %.2f MB" % (len(problems), os.path.getsize(PROBLEMS) / 1e6))


def judge(problem, source, checker_cmd):
    """(verdict, worst cpu seconds, detail) of `source` on every test, stopping at the first failure."""
    tests = problem["tests"]
    limit_s = tests["time_limit_ms"] / 1000.0
    command, errors = command_of(source)
    if command is None:
        return "compile_error", 0.0, errors.split("\n")[0]
    worst = 0.0
    for index, case in enumerate(tests["cases"]):
        # Run past the limit up to 3x, so that a timeout is known to be a robust one.
        status, output, cpu, rss_mb = run(command, case["input"], math.ceil(3 * limit_s) + 1,
                                          tests["memory_limit_mb"])
        worst = max(worst, cpu)
        where = "test %d (cpu %.3f s, %.0f MB)" % (index, cpu, rss_mb)
        if cpu > limit_s:
            return "timeout", cpu, where
        if rss_mb > tests["memory_limit_mb"]:
            return "memory_limit", cpu, where
        if status != 0:
            return "runtime_error", cpu, where + " status %d" % status
        accepted, reason = compare(tests["checker"], checker_cmd, case["input"], output, case["output"])
        if not accepted:
            return "wrong", cpu, where + ": " + reason
    return "correct", worst, ""


def verify(ids):
    problems = read_problems()
    failures = 0
    for problem_id in ids:
        problem = problems[problem_id]
        limit_s = problem["tests"]["time_limit_ms"] / 1000.0
        checker_cmd = checker_command(problem_id, problem["tests"]["checker"])
        folder = os.path.join(PACK_DIR, "solutions", problem_id)
        for name in sorted(os.listdir(folder)):
            stem = os.path.splitext(name)[0]
            expected = VERDICT_OF_STEM[stem]
            start = time.time()
            verdict, cpu, detail = judge(problem, os.path.join(folder, name), checker_cmd)
            good = verdict == expected
            if good and expected == "correct" and cpu > limit_s / 3:
                good, detail = False, "uses %.3f s, more than 1/3 of the limit" % cpu
            if good and expected == "timeout" and cpu < 3 * limit_s:
                good, detail = False, "ran only %.3f s, less than 3x the limit" % cpu
            failures += not good
            print("%-4s %-28s %-9s %-14s cpu %.3f s (limit %.2f s) %s [%.1f s]" % (
                "ok" if good else "FAIL", problem_id, name, verdict, cpu, limit_s, detail, time.time() - start))
    print("%d failure(s)" % failures)
    return failures


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ("build", "verify"):
        print(__doc__)
        return 2
    ids = sys.argv[2:] or all_ids()
    if sys.argv[1] == "build":
        build(ids)
        return 0
    return 1 if verify(ids) else 0


if __name__ == "__main__":
    sys.exit(main())
