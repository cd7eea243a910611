"""What the command line does with the files it is given (the front-door issue,
items 1, 3, 4 and 5): it never destroys or half-writes a file, refuses to write
over its own input, says one line naming the path for every file problem, with
one exit status per kind of problem, and takes `-` for standard input and output.

Each test does what a user did: real files, real links, real subprocesses for
Ctrl-C and for a write that fails half way.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from leadpolicy.cli import main

ROOT = Path(__file__).parent.parent
POLICIES = ROOT / "policies"
AS_OF = "2026-11-22"


def run(*args: str, input=None):
    return CliRunner().invoke(main, [str(a) for a in args], input=input, catch_exceptions=False)


@pytest.fixture
def work(tmp_path: Path, monkeypatch) -> Path:
    for name in ("acme.policy", "acme.tests", "acme.lead.json", "acme.leads.jsonl"):
        shutil.copy(POLICIES / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def leftovers(directory: Path) -> list[str]:
    """Temporary files an atomic write would leave behind if it were not cleaned up."""
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


# ---------------------------------------------------------------- never write over the input


@pytest.mark.parametrize("spelling", ["same", "dot", "parent", "absolute", "symlink", "hardlink"])
def test_score_refuses_to_write_over_its_input(work: Path, spelling: str) -> None:
    leads = work / "acme.leads.jsonl"
    before = leads.read_bytes()
    target = {
        "same": "acme.leads.jsonl",
        "dot": "./acme.leads.jsonl",
        "parent": f"../{work.name}/acme.leads.jsonl",
        "absolute": str(leads),
    }.get(spelling)
    if spelling == "symlink":
        (work / "link.jsonl").symlink_to("acme.leads.jsonl")
        target = "link.jsonl"
    elif spelling == "hardlink":
        os.link(leads, work / "hard.jsonl")
        target = "hard.jsonl"
    result = run("score", "acme.policy", "acme.leads.jsonl", "-o", target, "--as-of", AS_OF)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: -o {target} is the input (acme.leads.jsonl)")
    assert len(result.stderr.splitlines()) == 1 and result.stdout == ""
    assert leads.read_bytes() == before and leftovers(work) == []


def test_score_and_docs_refuse_to_write_over_the_policy(work: Path) -> None:
    before = (work / "acme.policy").read_bytes()
    result = run("score", "acme.policy", "acme.leads.jsonl", "-o", "acme.policy")
    assert result.exit_code == 2 and "is the policy" in result.stderr
    result = run("docs", "acme.policy", "-o", "acme.policy", "--format", "markdown")
    assert result.exit_code == 2 and "is the policy" in result.stderr
    assert (work / "acme.policy").read_bytes() == before



def test_diff_report_and_score_refuse_to_write_over_any_input(work: Path) -> None:
    """`diff OLD NEW -o NEW` wrote the report over the new policy (exit 0: the policy was gone), and
    `report --outcomes o.json -o o.json` over the outcomes; every file a command reads is refused as
    its -o, as `score` refuses its input, and nothing is touched."""
    shutil.copy(work / "acme.policy", work / "new.policy")
    (work / "outcomes.json").write_text('{"id": "L-000001", "status": "won"}\n')
    (work / "acts.csv").write_text("lead_id,type,at\n")
    (work / "mapping.json").write_text("{}")
    cases = [
        (["diff", "acme.policy", "new.policy", "-o", "new.policy"], "new.policy", "the policy compared"),
        (["diff", "acme.policy", "new.policy", "--leads", "acme.leads.jsonl", "-o", "./acme.leads.jsonl"],
         "acme.leads.jsonl", "the leads"),
        (["diff", "--rev", "HEAD", "acme.policy", "-o", "acme.policy"], "acme.policy", "the policy compared"),
        (["report", "acme.policy", "acme.leads.jsonl", "--outcomes", "outcomes.json", "-o", "outcomes.json"],
         "outcomes.json", "the outcomes"),
        (["score", "acme.policy", "acme.leads.jsonl", "--activities", "acts.csv", "--engine", "duckdb", "-o", "acts.csv"],
         "acts.csv", "the activities table"),
        (["score", "acme.policy", "acme.leads.jsonl", "--mapping", "mapping.json", "--engine", "duckdb", "-o",
          "mapping.json"], "mapping.json", "the mapping"),
    ]
    for args, target, what in cases:
        before = {p.name: p.read_bytes() for p in work.iterdir() if p.is_file()}
        result = run(*args)
        assert result.exit_code == 2, (args, result.output)
        assert f"is {what} (" in result.stderr and "writing there would destroy it" in result.stderr, result.stderr
        assert {p.name: p.read_bytes() for p in work.iterdir() if p.is_file()} == before and leftovers(work) == []
    result = run("diff", "acme.policy", "new.policy", "-o", "notes.tests")
    assert result.exit_code == 2 and "would overwrite a policy file with the report" in result.stderr
    assert not (work / "notes.tests").exists()
    before = (work / "acme.tests").read_bytes()  # the policy's own tests, which score does not read
    result = run("score", "acme.policy", "acme.leads.jsonl", "--as-of", AS_OF, "-o", "acme.tests")
    assert result.exit_code == 2 and result.stderr == (
        "error: -o acme.tests would overwrite a policy file with decisions: name it FILE.jsonl or FILE.csv\n")
    assert (work / "acme.tests").read_bytes() == before

def test_compile_refuses_a_policy_as_its_output(work: Path) -> None:
    shutil.copy(work / "acme.policy", work / "other.policy")
    before = (work / "other.policy").read_bytes()
    result = run("compile", "acme.policy", "-o", "other.policy")
    assert result.exit_code == 2
    assert result.stderr == "error: -o other.policy would overwrite a policy file with Python: name the module FILE.py\n"
    assert (work / "other.policy").read_bytes() == before
    assert run("compile", "acme.policy", "-o", "new.policy").exit_code == 2 and not (work / "new.policy").exists()


# ---------------------------------------------------------------- atomic outputs


@pytest.mark.parametrize("command", [
    ["compile", "acme.policy", "-o", "out.txt"],
    ["docs", "acme.policy", "-o", "out.txt", "--format", "html"],
    ["score", "acme.policy", "acme.leads.jsonl", "-o", "out.txt", "--as-of", AS_OF, "--jobs", "1"],
])
def test_outputs_replace_the_old_file_whole_and_keep_its_permissions(work: Path, command: list) -> None:
    out = work / "out.txt"
    out.write_text("the old file\n")
    os.chmod(out, 0o640)
    result = run(*command)
    assert result.exit_code in (0, 1), result.output
    assert out.read_text() != "the old file\n" and len(out.read_text()) > 1000
    assert (out.stat().st_mode & 0o777) == 0o640
    assert leftovers(work) == []


def test_fmt_rewrites_in_place_through_a_temporary_file(work: Path) -> None:
    messy = work / "messy.policy"
    messy.write_text('policy "M" version "1"\nstages {   lead\n mql when fit>1 }\n')
    (work / "link.policy").symlink_to("messy.policy")
    result = run("fmt", "link.policy")
    assert result.exit_code == 0 and "reformatted link.policy" in result.stdout
    assert (work / "link.policy").is_symlink()  # the link still points at the file, which was rewritten
    assert "  mql when fit > 1\n" in messy.read_text() and leftovers(work) == []


def test_a_failed_run_leaves_the_old_output_untouched(work: Path) -> None:
    out = work / "decisions.jsonl"
    out.write_text("yesterday's decisions\n")
    bad_csv = work / "leads.csv"
    bad_csv.write_text("id,seniority,Seniority\nL-1,vp,vp\n")
    result = run("score", "acme.policy", "leads.csv", "-o", "decisions.jsonl", "--as-of", AS_OF)
    assert result.exit_code == 1 and "both name the field `seniority`" in result.stderr
    assert out.read_text() == "yesterday's decisions\n" and leftovers(work) == []


def _limit_file_size() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
    resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))


def test_a_write_that_fails_half_way_names_the_path_and_keeps_the_old_file(work: Path) -> None:
    """A write that fails part way through (here the file-size limit, as a full disk would):
    one line naming the path, exit 2, the previous output intact, no temporary file left."""
    big = work / "big.jsonl"
    big.write_bytes((work / "acme.leads.jsonl").read_bytes() * 4)
    out = work / "decisions.jsonl"
    out.write_text("yesterday's decisions\n")
    command = [sys.executable, "-m", "leadpolicy", "score", "acme.policy", "big.jsonl", "-o", "decisions.jsonl",
               "--as-of", AS_OF, "--jobs", "1", "--quiet"]
    result = subprocess.run(command, cwd=work, capture_output=True, text=True, timeout=120, preexec_fn=_limit_file_size,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 2, result.stderr
    assert result.stderr == "error: cannot write decisions.jsonl: the file would be larger than the system allows\n"
    assert out.read_text() == "yesterday's decisions\n" and leftovers(work) == []


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("mount"), reason="needs root to mount a small tmpfs")
def test_a_full_disk(work: Path) -> None:
    disk = work / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(disk)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        result = run("docs", "acme.policy", "-o", disk / "handoff.html")
        assert result.exit_code == 2
        assert result.stderr == f"error: cannot write {disk / 'handoff.html'}: no space left on the device\n"
        assert list(disk.iterdir()) == []
    finally:
        subprocess.run(["umount", str(disk)], check=True)


@pytest.mark.parametrize("command", [
    ["compile", "acme.policy"],
    ["docs", "acme.policy"],
    ["score", "acme.policy", "acme.leads.jsonl", "--as-of", AS_OF],
])
def test_unwritable_outputs_are_one_line_naming_the_path(work: Path, command: list) -> None:
    suffix = ".md" if command[0] == "docs" else ".py"
    for target, reason in [(f"/no/such/dir/out{suffix}", "no such directory: /no/such/dir"),
                           (str(work), "it is a directory"),
                           (f"acme.policy/x{suffix}", "no such directory: acme.policy")]:
        result = run(*command, "-o", target)
        assert result.exit_code == 2, result.output
        assert result.stderr == f"error: cannot write {target}: {reason}\n"
        assert "internal error" not in result.output


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full, a device that is always full")
@pytest.mark.parametrize("command", [
    ["compile", "acme.policy"], ["docs", "acme.policy"], ["check", "acme.policy", "--json"],
    ["eval", "acme.policy", "acme.lead.json", "--as-of", AS_OF],
    ["score", "acme.policy", "acme.leads.jsonl", "--as-of", AS_OF, "--quiet", "--jobs", "1"],
    ["score", "acme.policy", "acme.leads.jsonl", "--as-of", AS_OF, "--quiet", "--jobs", "2"],
])
@pytest.mark.parametrize("to", ["standard output", "-o"])
def test_a_full_disk_under_standard_output_or_a_device_is_one_line_naming_it(work: Path, command: list, to: str) -> None:
    """`leadpolicy score P L > decisions.jsonl` on a full disk (here `> /dev/full`), or `-o /dev/full`
    (a device, written straight): `internal error: OSError: [Errno 28] No space left on device`, exit 3.
    It is said as a full disk is for a file: one line naming where, status 2."""
    if to == "-o" and command[0] in ("check", "eval"):
        pytest.skip("check and eval print to standard output only")
    extra = ["-o", "/dev/full"] + (["--format", "markdown"] if command[0] == "docs" else []) if to == "-o" else []
    with open("/dev/full", "wb") as full:
        done = subprocess.run([sys.executable, "-m", "leadpolicy", *command, *extra], cwd=work, stdout=full,
                              stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    where = "standard output" if to == "standard output" else "/dev/full"
    assert (done.returncode, done.stderr.decode()) == (2, f"error: cannot write {where}: no space left on the device\n")


# ---------------------------------------------------------------- Ctrl-C


def _start_score(work: Path, *extra: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "leadpolicy", "score", "acme.policy", "-", "--as-of", AS_OF, "--jobs", "1", *extra]
    # SIGINT back to its default in the child: a shell that starts the suite in the background
    # (without job control) ignores it, the child would inherit that, and Ctrl-C would never come
    return subprocess.Popen(command, cwd=work, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": str(ROOT)},
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def _feed_and_interrupt(process: subprocess.Popen, work: Path, wait_for) -> None:
    lines = (work / "acme.leads.jsonl").read_bytes()
    process.stdin.write(lines * 80)  # about 6 MB: many chunks, the pipe stays open
    process.stdin.flush()
    deadline = time.monotonic() + 60
    while not wait_for() and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)


def test_ctrl_c_while_scoring_to_standard_output_says_how_many_rows(work: Path) -> None:
    process = _start_score(work, "--quiet")
    received = bytearray()

    def read_all() -> None:
        while block := process.stdout.read1(65536):
            received.extend(block)

    reader = threading.Thread(target=read_all)
    reader.start()
    _feed_and_interrupt(process, work, lambda: received.count(b"\n") > 200)
    stderr = process.stderr.read().decode()
    process.stdin.close()
    assert process.wait(timeout=60) == 130
    reader.join(timeout=60)
    rows = received.count(b"\n")
    assert stderr.strip() == f"interrupted after {rows:,} rows written to standard output"
    assert all(json.loads(line)["id"] for line in bytes(received).splitlines())
    assert "Aborted" not in stderr and "Traceback" not in stderr


def test_ctrl_c_while_scoring_to_a_file_leaves_it_untouched(work: Path) -> None:
    out = work / "decisions.jsonl"
    out.write_text("yesterday's decisions\n")
    process = _start_score(work, "-o", "decisions.jsonl", "--quiet")
    _feed_and_interrupt(process, work, lambda: bool(leftovers(work)) and any(
        (work / name).stat().st_size > 50_000 for name in leftovers(work)))
    stderr = process.stderr.read().decode()
    process.stdin.close()
    assert process.wait(timeout=60) == 130
    assert stderr.strip() == "interrupted: decisions.jsonl was left untouched"
    assert out.read_text() == "yesterday's decisions\n" and leftovers(work) == []


def _waiting_in_the_pipe(process: subprocess.Popen) -> int:
    """Bytes in score's output pipe once it has stopped growing: the reader is taking nothing, so
    score is blocked writing rows into a full pipe (or has written all it had)."""
    import fcntl
    import termios

    def held() -> int:
        return int.from_bytes(fcntl.ioctl(process.stdout.fileno(), termios.FIONREAD, b"\0" * 4), sys.byteorder)

    deadline, before = time.monotonic() + 60, -1
    while time.monotonic() < deadline:
        now = held()
        if now > 16_384 and now == before:
            return now
        before = now
        time.sleep(0.5)
    return held()


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_ctrl_c_while_the_reader_takes_no_rows_says_exactly_the_whole_rows_written(work: Path, fmt: str) -> None:
    """`score ... | slow-reader`: a block of rows written into a full pipe was stopped by Ctrl-C
    part-way, in the middle of a row, and its rows were not counted (`interrupted after 0 rows`,
    with 121 rows and half of the next in the pipe). The rows that went out are whole, and the
    message counts them exactly; one Ctrl-C is enough."""
    (work / "many.jsonl").write_bytes((work / "acme.leads.jsonl").read_bytes() * 80)
    command = [sys.executable, "-m", "leadpolicy", "score", "acme.policy", "many.jsonl", "--as-of", AS_OF, "--jobs", "1",
               "--quiet", "--format", fmt]
    process = subprocess.Popen(command, cwd=work, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env={**os.environ, "PYTHONPATH": str(ROOT)},
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert _waiting_in_the_pipe(process) > 16_384
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 130  # while the reader still takes nothing
    received = process.stdout.read()
    stderr = process.stderr.read().decode()
    rows = received.count(b"\n") - (1 if fmt == "csv" else 0)
    assert stderr.strip() == f"interrupted after {rows:,} rows written to standard output"
    assert received.endswith(b"\n") and rows > 0
    if fmt == "jsonl":
        assert all(json.loads(line)["id"] for line in received.splitlines())


@pytest.fixture(scope="module")
def many_leads(tmp_path_factory) -> Path:
    """benchmarks/workload.py's leads, 2,000 of them 15 times over: 30,000 leads and 60 MB, seconds of scoring."""
    from support.workload import bench_workload

    folder = tmp_path_factory.mktemp("many")
    bench_workload().write_jsonl(folder / "some.jsonl", 2000, seed=25)
    (folder / "many.jsonl").write_bytes((folder / "some.jsonl").read_bytes() * 15)
    return folder / "many.jsonl"


@pytest.mark.parametrize("jobs, engine, group", [("1", "python", False), ("2", "python", False), ("2", "python", True),
                                                 ("2", "duckdb", False)])
def test_sigterm_while_scoring_to_a_file_stops_it_as_ctrl_c_does(work: Path, many_leads: Path, jobs: str, engine: str,
                                                                 group: bool) -> None:
    """`kill PID` (or `timeout`, a service manager: SIGTERM) during `score P L -o OUT --jobs 2` ended the
    process where it stood: `.OUT.xxxx.tmp` stayed beside OUT, with the worker processes' tracebacks about
    a broken pipe; SIGTERM to the whole process group left the parent waiting for the chunk of a killed
    worker. It stops as Ctrl-C does: the temporary file removed, OUT untouched, one line, status 143."""
    if engine == "duckdb":
        pytest.importorskip("duckdb")
    out = work / "decisions.jsonl"
    out.write_text("yesterday's decisions\n")
    command = [sys.executable, "-m", "leadpolicy", "score", "acme.policy", str(many_leads), "--as-of", AS_OF,
               "--jobs", jobs, "--engine", engine, "-o", "decisions.jsonl", "--quiet"]
    process = subprocess.Popen(command, cwd=work, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env={**os.environ, "PYTHONPATH": str(ROOT)}, start_new_session=group)
    deadline = time.monotonic() + 60  # under way: rows in the temporary file (DuckDB: the file made)
    while not (leftovers(work) and (engine == "duckdb" or (work / leftovers(work)[0]).stat().st_size > 50_000)) \
            and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.02)
    if engine == "duckdb":
        time.sleep(0.3)
    assert process.poll() is None, "the run ended before it was stopped: make the input larger"
    if group:
        os.killpg(process.pid, signal.SIGTERM)
    else:
        process.send_signal(signal.SIGTERM)
    stopped = time.monotonic()
    try:
        stdout, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert time.monotonic() - stopped < 15  # promptly: the workers finish the few chunks they hold
    assert process.returncode == 143, stderr.decode()
    said = stderr.decode()
    assert said == ("terminated\n" if engine == "duckdb" else "terminated: decisions.jsonl was left untouched\n")
    assert stdout == b""
    assert out.read_text() == "yesterday's decisions\n"
    assert sorted(p.name for p in work.iterdir()) == sorted(["acme.policy", "acme.tests", "acme.lead.json",
                                                             "acme.leads.jsonl", "decisions.jsonl"])


def test_a_process_forked_by_a_command_ends_on_sigterm_as_it_would_without_a_traceback() -> None:
    """A command raises `Terminated` on SIGTERM; a process forked from it (report's pool, whose
    Pool.terminate() sends SIGTERM to its workers at the end of every run) inherited the handler and
    printed `Process ForkPoolWorker-2: Traceback ... Terminated`. It ends as SIGTERM ends a process."""
    child = """
import os, signal, sys, time
from leadpolicy.tools.stopping import terminated_raises
with terminated_raises():
    pid = os.fork()
    if pid == 0:
        time.sleep(30)
        os._exit(0)
    time.sleep(0.5)
    os.kill(pid, signal.SIGTERM)
    print(os.waitpid(pid, 0)[1])
"""
    done = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert (done.stdout, done.stderr) == (f"{signal.SIGTERM}\n", "")  # killed by the signal, silently


def test_report_with_worker_processes_says_nothing_of_them(work: Path, many_leads: Path) -> None:
    history = work / "history.jsonl"
    history.write_bytes(b"".join(many_leads.read_bytes().splitlines(keepends=True)[:600]))
    done = subprocess.run([sys.executable, "-m", "leadpolicy", "report", "acme.policy", "history.jsonl", "--as-of", AS_OF,
                           "--jobs", "2", "-o", "report.json"], cwd=work, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert (done.returncode, done.stderr) == (0, "")


def test_sigterm_while_scoring_to_standard_output_says_how_many_rows(work: Path, many_leads: Path) -> None:
    command = [sys.executable, "-m", "leadpolicy", "score", "acme.policy", str(many_leads), "--as-of", AS_OF,
               "--jobs", "2", "--quiet"]
    process = subprocess.Popen(command, cwd=work, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})
    received = os.read(process.stdout.fileno(), 60_000)
    process.send_signal(signal.SIGTERM)
    rest, stderr = process.communicate(timeout=30)
    received += rest
    rows = received.count(b"\n")
    assert process.returncode == 143
    assert stderr.decode() == f"terminated after {rows:,} rows written to standard output\n"
    assert rows > 0 and received.endswith(b"\n")


# ---------------------------------------------------------------- one wording, one status per file problem


def _problem_files(work: Path) -> dict:
    (work / "empty.policy").write_text("")
    (work / "blank.policy").write_text("  \n# only a comment\n\n")
    (work / "latin1.policy").write_bytes(b'policy "Caf\xe9" version "1"\nstages { lead }\n')
    (work / "dir.policy").mkdir()
    return {
        "missing": ("nope.policy", 2, "error: no such file: nope.policy"),
        "directory": ("dir.policy", 2, "error: dir.policy is a directory, not a file"),
        "empty": ("empty.policy", 1, 'error: empty.policy is empty: a policy starts with `policy "NAME" version "V"`'),
        "not UTF-8": ("latin1.policy", 1, "error: latin1.policy is not UTF-8 text (byte 12 is 0xe9)"),
        "not a policy": ("acme.lead.json", 1,
                         'error: acme.lead.json is not a policy (it starts with `{`); a policy starts with `policy "NAME" version "V"`'),
    }


COMMANDS = {
    "check": lambda p: ["check", p],
    "fmt": lambda p: ["fmt", "--check", p],
    "compile": lambda p: ["compile", p],
    "docs": lambda p: ["docs", p],
    "eval": lambda p: ["eval", p, "acme.lead.json", "--as-of", AS_OF],
    "score": lambda p: ["score", p, "acme.leads.jsonl", "--as-of", AS_OF],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("kind", ["missing", "directory", "empty", "not UTF-8", "not a policy"])
def test_every_command_says_a_file_problem_the_same_way(work: Path, command: str, kind: str) -> None:
    if command == "check" and kind == "directory":
        pytest.skip("check and fmt search a directory for policies")
    if command == "fmt" and kind in ("directory", "not a policy"):
        pytest.skip("fmt searches directories; fmt --check of a non-policy file is a format error")
    path, status, message = _problem_files(work)[kind]
    result = run(*COMMANDS[command](path))
    assert result.exit_code == status, result.output
    assert result.stderr.splitlines()[0] == message
    assert "Traceback" not in result.output and "internal error" not in result.output


@pytest.mark.parametrize("kind", ["missing", "directory", "empty", "not UTF-8", "not a policy"])
def test_diff_says_a_file_problem_of_either_version_in_the_same_words(work: Path, kind: str) -> None:
    """`diff` reads its versions itself (a file or git's REV:PATH): it said `dir.policy is a directory,
    not a policy file`, `latin1.policy is not UTF-8 text (byte 12)`, and an empty file or JSON was a
    syntax error at 1:1. It says them in the words of every command; a version it cannot read at all
    (missing, a directory, not UTF-8) keeps status 2, as diff says every unreadable version
    (docs/cli-guide.md)."""
    path, status, message = _problem_files(work)[kind]
    for versions in ([path, "acme.policy"], ["acme.policy", path]):
        result = run("diff", *versions)
        assert result.exit_code == (2 if kind == "not UTF-8" else status), result.output
        assert result.stderr.splitlines()[0] == message, versions


def test_a_blank_policy_is_empty_too(work: Path) -> None:
    _problem_files(work)
    result = run("check", "blank.policy")
    assert result.exit_code == 1 and result.stderr.startswith("error: blank.policy is empty")


def test_lead_and_leads_file_problems_use_the_same_words(work: Path) -> None:
    (work / "empty.json").write_text("")
    (work / "latin1.jsonl").write_bytes(b'{"id": "caf\xe9"}\n')
    assert run("eval", "acme.policy", "nope.json").stderr == "error: no such file: nope.json\n"
    assert run("eval", "acme.policy", str(work)).stderr == f"error: {work} is a directory, not a file\n"
    result = run("eval", "acme.policy", "empty.json")
    assert result.exit_code == 1 and result.stderr.startswith("error: empty.json is empty")
    result = run("score", "acme.policy", "nope.jsonl")
    assert result.exit_code == 2 and result.stderr == "error: no such file: nope.jsonl\n"
    result = run("score", "acme.policy", str(work))
    assert result.exit_code == 2 and result.stderr == f"error: {work} is a directory, not a file\n"



def test_a_directory_for_leads_is_said_as_every_command_says_it(work: Path) -> None:
    """`score --engine duckdb` said a directory INPUT as `error: DIR: [Errno 21] Is a directory:
    'DIR'`, and `diff --leads DIR` (either engine) as `error: DIR is not a file`: now as the
    python engine says it (docs/cli-guide.md, the table of file problems), status 2."""
    pytest.importorskip("duckdb")
    for args in (("score", "acme.policy", str(work), "--engine", "duckdb", "-q"),
                 ("diff", "acme.policy", "acme.policy", "--leads", str(work)),
                 ("diff", "acme.policy", "acme.policy", "--leads", str(work), "--engine", "duckdb")):
        result = run(*args)
        assert (result.exit_code, result.stderr) == (2, f"error: {work} is a directory, not a file\n"), args


def test_report_says_its_file_problems_as_every_command_does(work: Path) -> None:
    """`report` said a missing or directory LEADS or --outcomes file its own way, with the wrong
    status (`error: nope.jsonl: No such file or directory`, 1; `error: [Errno 2] No such file or
    directory: 'nope.csv'`), and a bad --as-of, --from or --to as a `field`; now as `score` says them."""
    assert run("report", "acme.policy", "nope.jsonl").stderr == "error: no such file: nope.jsonl\n"
    result = run("report", "acme.policy", str(work))
    assert result.exit_code == 2 and result.stderr == f"error: {work} is a directory, not a file\n"
    result = run("report", "acme.policy", "acme.leads.jsonl", "--outcomes", "nope.csv")
    assert result.exit_code == 2 and result.stderr == "error: no such file: nope.csv\n"
    result = run("report", "acme.policy", "acme.leads.jsonl", "--outcomes", str(work))
    assert result.exit_code == 2 and result.stderr == f"error: {work} is a directory, not a file\n"
    for option in ("--as-of", "--from", "--to"):
        result = run("report", "acme.policy", "acme.leads.jsonl", option, "2026-13-01")
        assert result.exit_code == 2 and "field" not in result.stderr
        assert f"Invalid value for {option}: `2026-13-01` is not an ISO 8601 date or timestamp" in result.stderr

def test_a_tests_file_without_its_policy_says_which_policy_is_missing(work: Path) -> None:
    """`check orphan.tests` said only `no such file: orphan.policy`, a file the user never named."""
    shutil.copy(work / "acme.tests", work / "orphan.tests")
    for command in ("check", "test"):
        result = run(command, "orphan.tests")
        assert result.exit_code == 2
        assert result.stderr.splitlines()[0] == ("error: no such file: orphan.policy (the policy whose tests orphan.tests "
                                                 "holds; a NAME.tests file is checked and run with NAME.policy beside it)")


def test_an_empty_leads_file_is_warned_about_by_every_command(work: Path) -> None:
    """`score` warned of an empty leads file; `report` wrote a report of 0 leads and `diff --leads` a replay
    of 0 leads without a word."""
    (work / "none.jsonl").write_text("")
    for args, words in ((["score", "acme.policy", "none.jsonl"], "score"), (["report", "acme.policy", "none.jsonl"], "report"),
                        (["diff", "acme.policy", "acme.policy", "--leads", "none.jsonl"], "replay")):
        result = run(*args, "--as-of", AS_OF)
        assert result.exit_code == 0 and f"warning: none.jsonl is empty: there are no leads to {words}" in result.stderr


def test_leads_with_fields_outside_fields_are_warned_about_by_every_command(work: Path) -> None:
    """`{"id": "a", "seniority": "vp"}` lines: every lead was decided without its fields, without a word."""
    (work / "flat.jsonl").write_text('{"id": "a", "seniority": "vp", "phone": "1"}\n{"id": "b", "industry": "saas"}\n')
    said = ("warning: flat.jsonl, line 1 (and maybe more): `seniority` is at the top of the lead, where only id, "
            "fields, activities, stage are read")
    for args in (["score", "acme.policy", "flat.jsonl", "-o", os.devnull], ["report", "acme.policy", "flat.jsonl"],
                 ["diff", "acme.policy", "acme.policy", "--leads", "flat.jsonl"]):
        result = run(*args, "--as-of", AS_OF)
        assert result.exit_code == 0 and said in result.stderr, (args, result.output)
        good = run(*[a.replace("flat.jsonl", "acme.leads.jsonl") for a in args], "--as-of", AS_OF)
        assert "at the top of the lead" not in good.stderr


def test_a_policy_named_as_the_leads_is_warned_about_by_every_command(work: Path) -> None:
    """`score acme.policy acme.policy`: 98 error rows `line N is not valid JSON`, and not a word of why."""
    said = ('warning: acme.policy holds a policy, not leads (line 2: `policy "Acme Cloud handoff" version "2026.11.1"`): '
            "every line of it is a data error; the leads (JSON Lines or CSV) come after the policy")
    for args, status in ((["score", "acme.policy", "acme.policy", "-o", os.devnull], 1), (["report", "acme.policy", "acme.policy"], 0),
                         (["diff", "acme.policy", "acme.policy", "--leads", "acme.policy"], 0)):
        result = run(*args, "--as-of", AS_OF)
        assert result.exit_code == status and said in result.stderr, (args, result.output)
    (work / "odd.jsonl").write_text("# not JSON\nnot a policy either\n")
    assert "holds a policy" not in run("score", "acme.policy", "odd.jsonl", "-o", os.devnull, "--as-of", AS_OF).stderr


def test_check_goes_on_after_a_file_problem_and_exits_with_the_worst_status(work: Path) -> None:
    result = run("check", "nope.policy", "acme.policy")
    assert result.exit_code == 2
    assert "error: no such file: nope.policy" in result.stderr and "acme.policy: ok, 1 warning" in result.stdout


# ---------------------------------------------------------------- `-` for standard input and output


def test_dash_is_standard_input_and_output_everywhere(work: Path) -> None:
    policy = (work / "acme.policy").read_text()
    lead = (work / "acme.lead.json").read_text()
    check = run("check", "-", input=policy)
    assert check.exit_code == 0 and check.stdout == "<stdin>: ok, 1 warning\n"
    assert "<stdin>:15:3" in check.stderr
    module = run("compile", "acme.policy", "-o", "-")
    assert module.exit_code == 0 and module.stdout.startswith('r"""The compiled evaluator') and not (work / "-").exists()
    assert run("compile", "-", input=policy).stdout.replace("<stdin>", "acme.policy") == module.stdout
    document = run("docs", "acme.policy", "-o", "-")
    assert document.exit_code == 0 and document.stdout.startswith("# ") and not (work / "-").exists()
    decision = run("eval", "acme.policy", "-", "--json", "--as-of", AS_OF, input=lead)
    assert json.loads(decision.stdout)["stage"] == "sql"
    scored = run("score", "acme.policy", "-", "-o", "-", "--as-of", AS_OF, "--quiet", input=lead.replace("\n", " ") + "\n")
    assert json.loads(scored.stdout)["id"] == "L-1001" and not (work / "-").exists()
    formatted = run("fmt", "-", input=policy)
    assert formatted.exit_code == 0 and formatted.stdout == policy
    both = run("eval", "-", "-", input=lead)
    assert both.exit_code == 2 and "cannot both come from standard input" in both.stderr
    # where a file is needed, `-` said "no such file: -"
    for args in (["report", "acme.policy", "-"], ["report", "acme.policy", "acme.leads.jsonl", "--outcomes", "-"],
                 ["diff", "-", "acme.policy"]):
        result = run(*args, input=policy)
        assert result.exit_code == 2 and "not standard input" in result.stderr and "no such file" not in result.stderr
    # `test -` stopped with an internal error (KeyError: '-'), exit 3
    tested = run("test", "--coverage", "-", input=policy)
    assert tested.exit_code == 0 and tested.stdout.startswith("<stdin>\n  PASS  ")
    assert "never exercised: <stdin>:" in tested.stdout and "internal error" not in tested.output
    broken = run("test", "--coverage", "-", input=policy.replace("expect stage sql", "expect stage sqll", 1))
    assert broken.exit_code == 1 and "<stdin>: the policy or its tests have errors; no test was run" in broken.stderr
    assert broken.stdout == "0 tests: 0 passed, 0 failed\n"  # no coverage measured, so none claimed


def test_eval_on_a_terminal_says_it_reads_standard_input(work: Path) -> None:
    """`leadpolicy eval POLICY` with no lead, typed at a terminal: it says what it waits for."""
    import pty

    controller, terminal = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "leadpolicy", "eval", "acme.policy", "--as-of", AS_OF],
                               cwd=work, stdin=terminal, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})
    os.close(terminal)
    try:
        first = b""
        deadline = time.monotonic() + 60
        os.set_blocking(process.stderr.fileno(), False)
        while b"\n" not in first and time.monotonic() < deadline:
            first += process.stderr.read() or b""
            time.sleep(0.05)
        assert first.decode().startswith("reading the lead from standard input (end with Ctrl-D")
        os.write(controller, (work / "acme.lead.json").read_text().replace("\n", " ").encode() + b"\n\x04")
        out, _ = process.communicate(timeout=60)
        assert process.returncode == 0 and "stage       sql (was mql): promoted" in out.decode()
    finally:
        os.close(controller)
        if process.poll() is None:
            process.kill()


# ---------------------------------------------------------------- the same bytes wherever built


def _git_repo(base: Path) -> Path:
    repo = base / "repo"
    (repo / "policies").mkdir(parents=True)
    shutil.copy(POLICIES / "acme.policy", repo / "policies" / "acme.policy")
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    return repo


@pytest.mark.parametrize("command", [["compile"], ["docs"], ["docs", "--format", "html"]])
def test_generated_files_are_byte_identical_from_any_directory(tmp_path: Path, monkeypatch, command: list) -> None:
    repo = _git_repo(tmp_path)
    outputs = []
    for cwd, path in [(repo, "policies/acme.policy"), (repo / "policies", "acme.policy"),
                      (tmp_path, "repo/policies/acme.policy"), (Path("/"), str(repo / "policies" / "acme.policy"))]:
        monkeypatch.chdir(cwd)
        result = run(command[0], path, *command[1:])
        assert result.exit_code == 0, result.output
        outputs.append(result.stdout)
    assert len(set(outputs)) == 1
    assert "policies/acme.policy" in outputs[0] and str(tmp_path) not in outputs[0]


def test_outside_a_repository_the_bare_file_name_is_used(tmp_path: Path, monkeypatch) -> None:
    from leadpolicy.cli.common import stable_path

    (tmp_path / "a" / "b").mkdir(parents=True)
    shutil.copy(POLICIES / "acme.policy", tmp_path / "a" / "b" / "acme.policy")
    if any((parent / ".git").exists() for parent in tmp_path.parents):
        pytest.skip("the temporary directory is inside a git repository")
    monkeypatch.chdir(tmp_path / "a")
    first = run("compile", "b/acme.policy").stdout
    monkeypatch.chdir(tmp_path)
    assert run("compile", str(tmp_path / "a" / "b" / "acme.policy")).stdout == first
    assert "Source:  'acme.policy'" in first
    assert stable_path("-") == "<stdin>"


def test_diagnostics_still_name_the_file_as_typed(tmp_path: Path, monkeypatch) -> None:
    repo = _git_repo(tmp_path)
    (repo / "policies" / "bad.policy").write_text('policy "B" version "1"\nstages { lead mql when budgt > 1 }\n')
    monkeypatch.chdir(repo / "policies")
    result = run("compile", "./bad.policy")
    assert result.exit_code == 1 and "--> ./bad.policy:2:24" in result.stderr


def test_an_output_that_is_a_device_or_a_pipe_is_written_straight(work: Path) -> None:
    """`-o /dev/stdout` or a named pipe: nothing can be renamed over them, so they are written directly."""
    result = subprocess.run([sys.executable, "-m", "leadpolicy", "compile", "acme.policy", "-o", "/dev/stdout"],
                            cwd=work, capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith('r"""The compiled evaluator')
    fifo = work / "pipe"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE)
    written = run("docs", "acme.policy", "-o", fifo, "--format", "markdown")
    assert written.exit_code == 0, written.output
    assert reader.communicate(timeout=60)[0].decode().startswith("# ")


# ---------------------------------------------------------------- compressed inputs


def _compressed(tmp_path: Path, kind: str) -> Path:
    import bz2
    import gzip
    import lzma

    text = (ROOT / "policies" / "acme.leads.jsonl").read_bytes()
    packed = {"gzip": gzip.compress, "bzip2": bz2.compress, "xz": lzma.compress,
              "zstd": lambda data: b"\x28\xb5\x2f\xfd" + data}[kind](text)  # zstd: its magic is what is read
    path = tmp_path / f"leads.jsonl.{kind}"
    path.write_bytes(packed)
    return path


@pytest.mark.parametrize("kind, unpack", [("gzip", "gunzip -k"), ("bzip2", "bunzip2 -k"), ("xz", "unxz -k"),
                                          ("zstd", "unzstd")])
def test_a_compressed_input_is_named_with_how_to_give_it(tmp_path: Path, kind: str, unpack: str) -> None:
    """A `leads.jsonl.gz` used to score as one garbage error row per line (python) or fail with a
    missing column (duckdb): every command that reads leads now says what it is and how to give it."""
    pytest.importorskip("duckdb")
    leads = _compressed(tmp_path, kind)
    acme = str(ROOT / "policies" / "acme.policy")
    out = tmp_path / "out.jsonl"
    for args, streams in (
        (["score", acme, str(leads), "-o", str(out)], "| leadpolicy score POLICY -`"),
        (["score", acme, str(leads), "-o", str(out), "--engine", "duckdb"], None),
        (["diff", acme, acme, "--leads", str(leads)], "| leadpolicy diff OLD NEW --leads -`"),
        (["diff", acme, acme, "--leads", str(leads), "--engine", "duckdb"], None),
        (["report", acme, str(leads)], None),
    ):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 1, (args, result.output)
        message = result.stderr.strip()
        assert message.startswith(f"error: {leads} is {kind}-compressed, and leadpolicy reads plain JSON Lines, "
                                  f"CSV or Parquet: decompress it first (`{unpack} {leads}`)"), message
        assert (streams in message) if streams else ("stream it" not in message)
        assert not out.exists()


def test_a_compressed_input_streamed_scores_as_the_plain_file(tmp_path: Path) -> None:
    import gzip

    leads = _compressed(tmp_path, "gzip")
    acme = str(ROOT / "policies" / "acme.policy")
    streamed = CliRunner().invoke(main, ["score", acme, "-", "--as-of", "2026-11-22"], input=gzip.decompress(leads.read_bytes()))
    plain = CliRunner().invoke(main, ["score", acme, str(ROOT / "policies" / "acme.leads.jsonl"), "--as-of", "2026-11-22"])
    assert streamed.exit_code == plain.exit_code == 0 and streamed.stdout == plain.stdout


def test_a_compressed_policy_is_named_as_a_policy(tmp_path: Path) -> None:
    """A gzipped policy (or its .tests) was refused in the words for leads ("reads plain JSON Lines,
    CSV or Parquet ... | leadpolicy score POLICY -"), and `diff` called it "not UTF-8 (byte 2)"."""
    import gzip

    packed = tmp_path / "acme.policy"
    packed.write_bytes(gzip.compress((POLICIES / "acme.policy").read_bytes()))
    leads = str(POLICIES / "acme.leads.jsonl")
    for args in (["check", packed], ["fmt", "--check", packed], ["compile", packed], ["docs", packed],
                 ["score", packed, leads], ["report", packed, leads]):
        result = CliRunner().invoke(main, [str(a) for a in args])
        assert result.exit_code == 1, (args, result.output)
        assert result.stderr.strip() == (f"error: {packed} is gzip-compressed, and leadpolicy reads a policy and its tests "
                                         f"as plain UTF-8 text: decompress it first (`gunzip -k {packed}`)"), args
    result = CliRunner().invoke(main, ["diff", str(packed), str(POLICIES / "acme.policy")])
    assert result.exit_code == 2 and f"{packed} is gzip-compressed" in result.stderr and "UTF-8" in result.stderr
    plain = tmp_path / "plain.policy"
    shutil.copy(POLICIES / "acme.policy", plain)
    (tmp_path / "plain.tests").write_bytes(gzip.compress((POLICIES / "acme.tests").read_bytes()))
    result = CliRunner().invoke(main, ["check", str(plain)])
    assert result.exit_code == 1 and f"error: {tmp_path / 'plain.tests'} is gzip-compressed" in result.stderr


def test_a_directory_without_policies_beside_other_paths_is_warned_about(tmp_path: Path) -> None:
    """`check empty/ acme.policy` checked acme.policy and said nothing of `empty/` (a typo, or the
    wrong directory); with only empty directories the command was, and is, a usage error."""
    empty = tmp_path / "empty"
    empty.mkdir()
    acme = str(POLICIES / "acme.policy")
    for command in (["check"], ["test"]):
        result = CliRunner().invoke(main, [*command, str(empty), acme])
        assert result.exit_code == 0, result.output
        assert f"warning: no .policy files found in {empty}" in result.stderr
        assert CliRunner().invoke(main, [*command, acme]).stderr.count("no .policy files") == 0
        alone = CliRunner().invoke(main, [*command, str(empty)])
        assert alone.exit_code == 2 and "warning:" not in alone.stderr and "no .policy files found in" in alone.stderr


# ---------------------------------------------------------------- tables that are not text


def _table_files(tmp_path: Path) -> dict:
    """A DuckDB database, a Parquet file not named .parquet, and a SQLite database, each holding Acme's leads."""
    import sqlite3

    duckdb = pytest.importorskip("duckdb")
    data = ROOT / "policies" / "acme.leads.jsonl"
    files = {"DuckDB database": tmp_path / "crm.duckdb", "Parquet file": tmp_path / "export.jsonl",
             "SQLite database": tmp_path / "crm.db"}
    con = duckdb.connect(str(files["DuckDB database"]))
    con.execute(f"CREATE TABLE leads AS SELECT * FROM read_json('{data}')")
    con.execute(f"COPY leads TO '{files['Parquet file']}' (FORMAT parquet)")
    con.close()
    lite = sqlite3.connect(files["SQLite database"])
    lite.execute("CREATE TABLE leads (line TEXT)")
    lite.executemany("INSERT INTO leads VALUES (?)", [(line,) for line in data.read_text(encoding="utf-8").splitlines()])
    lite.commit()
    lite.close()
    return files


def test_a_database_or_parquet_file_read_as_text_is_named_with_how_to_read_it(tmp_path: Path) -> None:
    """A DuckDB database given to `score` (python engine), `diff` or `report` was read as lines of
    garbage, each a data error ("5 leads, 5 data errors"; `report` stopped with an internal
    error): each command now says what the file is and how it reads such a file, exit 1."""
    acme = str(ROOT / "policies" / "acme.policy")
    december = str(ROOT / "docs" / "examples" / "acme-2026.12.policy")
    out = tmp_path / "out.jsonl"
    files = _table_files(tmp_path)
    for kind, path in files.items():
        for args, fix in (
            *([] if kind == "Parquet file" else [  # (score reads Parquet leads of the JSON Lines shape: below)
                (["score", acme, str(path), "-o", str(out)],
                 {"DuckDB database": "score it with --engine duckdb, which reads its tables `leads` and `activities`"}.get(kind))]),
            *([] if kind == "Parquet file" else [  # (and so does diff --leads: below)
                (["diff", acme, december, "--leads", str(path), "-o", str(tmp_path / "diff.txt")],
                 {"DuckDB database": "diff reads its tables `leads` and `activities` with --engine duckdb"}.get(kind))]),
            *([] if kind == "Parquet file" else [(["report", acme, str(path), "-o", str(tmp_path / "report.md")], None)]),
        ):
            result = CliRunner().invoke(main, args + ["--as-of", AS_OF])
            message = result.stderr.strip()
            assert result.exit_code == 1 and message.startswith(f"error: {path} is a {kind}, not JSON Lines or CSV: "), (args, message)
            assert (fix or "export its leads as JSON Lines or CSV") in message, (args, message)
            assert not out.exists() and not (tmp_path / "diff.txt").exists() and not (tmp_path / "report.md").exists()
    # score reads a Parquet file of leads in the JSON Lines shape, whatever its name (docs/decisions.md 65):
    # DuckDB wrote the values of several types (`"minutes": "17"` beside `45`) as JSON text columns,
    # read back as the JSON they hold: the rows are those of the JSON Lines file, byte for byte
    parquet = files["Parquet file"]
    for source, written in ((parquet, out), (ROOT / "policies" / "acme.leads.jsonl", tmp_path / "from-jsonl.jsonl")):
        result = CliRunner().invoke(main, ["score", acme, str(source), "-o", str(written), "--as-of", AS_OF])
        assert result.exit_code == 0 and "data errors: 0" in result.stderr, result.stderr
    assert out.read_bytes() == (tmp_path / "from-jsonl.jsonl").read_bytes()
    # so does diff --leads, as score reads them (docs/decisions.md 89)
    reports = []
    for source in (parquet, ROOT / "policies" / "acme.leads.jsonl"):
        result = CliRunner().invoke(main, ["diff", acme, december, "--leads", str(source), "--as-of", AS_OF, "--json"])
        assert result.exit_code == 0, result.stderr
        reports.append({**json.loads(result.stdout)["leads"], "source": None})
    assert reports[0] == reports[1]
    reports = []  # and report
    for source in (parquet, ROOT / "policies" / "acme.leads.jsonl"):
        result = CliRunner().invoke(main, ["report", acme, str(source), "--as-of", AS_OF, "--json"])
        assert result.exit_code == 0, result.stderr
        reports.append(json.loads(result.stdout))
    assert reports[0] == reports[1]
    # --engine duckdb reads the DuckDB database itself
    database = tmp_path / "crm.duckdb"
    result = CliRunner().invoke(main, ["score", acme, str(database), "--engine", "duckdb", "--as-of", AS_OF])
    assert result.exit_code == 2 and "has no column `stage`" not in result.stderr and "no table `activities`" in result.stderr


def test_report_reads_a_line_that_is_not_utf8_as_that_leads_error(tmp_path: Path) -> None:
    """`report` stopped with an internal error (UnicodeDecodeError) at a line that is not UTF-8;
    like `score`, it is now that lead's data error, and every other lead is reported."""
    acme = str(ROOT / "policies" / "acme.policy")
    lines = (ROOT / "policies" / "acme.leads.jsonl").read_bytes().splitlines(keepends=True)
    leads = tmp_path / "latin1.jsonl"
    leads.write_bytes(b"\xef\xbb\xbf" + b"".join(lines[:3]) + b'{"id": "caf\xe9", "fields": {}}\n' + b"".join(lines[3:]))
    out = tmp_path / "report.json"
    result = CliRunner().invoke(main, ["report", acme, str(leads), "--as-of", AS_OF, "-o", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text(encoding="utf-8"))["reports"][0]
    assert (report["leads"], report["data_errors"]) == (len(lines), 1)
    assert report["data_error_examples"] == [{"id": None, "error": {"field": None, "value": None, "message":
                                              f"{leads}:4:12: not valid JSON: not UTF-8 text (byte 12)"}}]
    # a CSV file that is not UTF-8: said in one line, exit 1 (its rows may span lines)
    csv_leads = tmp_path / "latin1.csv"
    csv_leads.write_bytes(b"id,industry\nL-1,caf\xe9\n")
    result = CliRunner().invoke(main, ["report", acme, str(csv_leads), "--as-of", AS_OF])
    assert result.exit_code == 1 and result.stderr.startswith(f"error: {csv_leads} is not UTF-8 text ("), result.output


# ---------------------------------------------------------------- file names that hold a line break

FAKE = "\nerror: everything is fine"  # a file name may hold a newline: it must not start a message of its own


def test_a_file_name_cannot_fake_a_line_of_a_message(work: Path) -> None:
    """A policy named `a\\nerror: everything is fine.policy` made `check` print a line that read as a
    message of its own (and an escape sequence in a name reached the terminal as it was). Every
    diagnostic, summary, warning and error names a file with its newline, tab and controls escaped."""
    acme = (work / "acme.policy").read_text()
    good, bad, messy = f"a{FAKE}\x1b[2J.policy", f"b{FAKE}.policy", f"c{FAKE}.policy"
    lead, leads, empty_dir = f"l{FAKE}.json", f"s{FAKE}.jsonl", f"d{FAKE}"
    (work / good).write_text(acme)
    (work / bad).write_text('policy "B" version "1"\nfields { a numbr }\n')
    (work / messy).write_text(acme.replace("fields {", "fields    {", 1))
    (work / lead).write_text("{not json")
    (work / leads).write_text("")
    (work / empty_dir).mkdir()
    runs = [
        (run("check", good), 0), (run("check", bad), 1), (run("check", empty_dir), 2), (run("check", f"n{FAKE}.policy"), 2),
        (run("test", good), 0), (run("test", bad), 1), (run("test", "--coverage", messy), 0),
        (run("fmt", "--check", messy), 1), (run("fmt", "--diff", messy), 1), (run("fmt", bad), 1),
        (run("compile", bad), 1), (run("compile", good, "-o", f"m{FAKE}.py"), 0),
        (run("docs", good, "-o", f"d{FAKE}.md"), 0), (run("docs", good, "-o", f"d{FAKE}.txt"), 2),
        (run("eval", good, lead), 1), (run("eval", good, f"none{FAKE}.json"), 2),
        (run("score", good, leads, "-o", f"o{FAKE}.xlsx", "--as-of", AS_OF), 0),
        (run("score", good, leads, "--engine", "duckdb", "--leads-table", "t"), 2),
        (run("diff", good, bad), 1), (run("diff", "acme.policy", good), 0), (run("report", good, f"none{FAKE}.jsonl"), 2),
        (run("report", good, leads, "--as-of", AS_OF, "-o", f"r{FAKE}.md"), 0),
        (run("fmt", messy), 0),
    ]
    assert [result.exit_code for result, _ in runs] == [status for _, status in runs], \
        [(result.exit_code, result.output) for result, _ in runs]
    for result, _ in runs:
        said = result.stdout + result.stderr
        assert "\\nerror: everything is fine" in said or "compiled evaluator" in said, said
        assert not any(line.startswith("error: everything is fine") for line in said.splitlines()), said
        assert "\x1b" not in said, said
    assert "a\\nerror: everything is fine\\x1b[2J.policy: ok, 1 warning" in runs[0][0].stdout
    assert " --> b\\nerror: everything is fine.policy:2:12" in runs[1][0].stderr
    assert runs[-1][0].stdout == "reformatted c\\nerror: everything is fine.policy\n" or \
        runs[-1][0].stdout.endswith("c\\nerror: everything is fine.policy\n")
