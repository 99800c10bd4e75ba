#!/usr/bin/python3
"""Time whole processes for npm run bench: wall clock, CPU (user + system, all threads) and peak RSS.

Usage: timer.py RUNS < commands.json
commands.json is a JSON list of argv lists. Each command runs RUNS times, round-robin (command 1,
2, …, then again), so a change in the machine's load touches every row alike. One JSON line per run
on stdout: {"command": i, "wallMs": …, "cpuMs": …, "maxRssKiB": …, "status": …}. A command's own
stdout is discarded, its stderr is kept for the first failing run.

Python because os.wait4 returns the child's rusage, with CPU time to the microsecond (GNU time
prints hundredths of a second) and ru_maxrss; Node has no wait4.
"""
import json
import os
import sys
import time


def run(argv):
    devnull = os.open(os.devnull, os.O_WRONLY)
    err_r, err_w = os.pipe()
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        os.dup2(devnull, 1)
        os.dup2(err_w, 2)
        os.close(err_r)
        try:
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)
    os.close(err_w)
    os.close(devnull)
    stderr = b''
    while True:
        chunk = os.read(err_r, 65536)
        if not chunk:
            break
        stderr += chunk
    os.close(err_r)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - started
    return {
        'wallMs': wall * 1000,
        'cpuMs': (usage.ru_utime + usage.ru_stime) * 1000,
        'maxRssKiB': usage.ru_maxrss,
        'status': os.waitstatus_to_exitcode(status),
        'stderr': stderr.decode('utf-8', 'replace')[-2000:],
    }


def main():
    runs = int(sys.argv[1])
    commands = json.load(sys.stdin)
    for _ in range(runs):
        for index, argv in enumerate(commands):
            result = run(argv)
            if result['status'] == 0:
                del result['stderr']
            print(json.dumps({'command': index, **result}), flush=True)


main()
