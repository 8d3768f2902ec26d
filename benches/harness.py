"""What the Python benches share: one BLAS thread (set before numpy loads), the release binary,
a timing claim, implreg's wall time per check (the median of `repeats` checks on one thread
without the store, with the steps its runs took) and an instance exported for a peer."""
import os

for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")

import json
import statistics
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def implreg_binary():
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    return os.path.join(ROOT, "target", "release", "implreg")


def claim(problem, runs, seeds):
    """A claim of `seeds` fixed seeds on `problem` (`{family: settings}`) whose run `run` is timed."""
    return {
        "id": "bench", "title": "bench", "source": {"paper": "bench", "where": "bench"},
        "seeds": {"from": 0, "count": seeds},
        "problem": problem,
        "runs": runs,
        "expect": [{"that": "run.steps >= 0", "over_seeds": "all", "why": "timing"}],
        "verdict": "holds",
    }


def write(spec):
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        json.dump(spec, f)
        return f.name


def implreg_seconds(binary, spec, repeats):
    """The median wall time of checking `spec` on one thread without the store, and the steps
    of its run `run` on each seed."""
    path = write(spec)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        out = subprocess.run([binary, "check", path, "--threads", "1", "--no-store",
                              "--format", "json"], capture_output=True, text=True, check=True)
        times.append(time.perf_counter() - start)
    os.unlink(path)
    report = json.loads(out.stdout)[0]
    steps = [r["steps"] for r in report["runs"] if r["run"] == "run"]
    return statistics.median(times), steps


def export(binary, problem, seed):
    """implreg's instance of `problem` for `seed`, as `implreg export` writes it."""
    spec = claim(problem, {"run": {"deep": {"depth": 1, "init": "zero",
                                            "optimizer": {"gd": {"lr": 1.0}}, "steps": 1}}}, 1)
    path = write(spec)
    out = subprocess.run([binary, "export", path, "--run", "run", "--seed", str(seed)],
                         capture_output=True, text=True, check=True)
    os.unlink(path)
    return json.loads(out.stdout)
