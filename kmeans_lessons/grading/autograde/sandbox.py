"""Start a command under resource limits: how the autograder launches a submission's kernel.

Run as a script, not imported (so starting a kernel does not import the package twice)::

    python sandbox.py --memory-mb 4096 --file-mb 1024 -- python -m ipykernel_launcher -f ...

It lowers its own limits and then replaces itself with the command (``os.execv``), so the kernel
and every process the kernel starts inherit them:

* ``RLIMIT_AS`` (address space) caps the memory of each process: an allocation beyond it fails,
  which Python reports as ``MemoryError`` in the student's cell instead of the machine swapping;
* ``RLIMIT_FSIZE`` caps the size of any file the submission writes;
* ``RLIMIT_CORE = 0`` so a crashing kernel leaves no core file behind.
"""

import argparse
import os
import resource
import sys


def _lower(limit, value):
    soft, hard = resource.getrlimit(limit)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(limit, (value, value))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--memory-mb", type=int, required=True)
    parser.add_argument("--file-mb", type=int, required=True)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given after --")
    _lower(resource.RLIMIT_AS, args.memory_mb * 2**20)
    _lower(resource.RLIMIT_FSIZE, args.file_mb * 2**20)
    _lower(resource.RLIMIT_CORE, 0)
    os.execv(command[0], command)


if __name__ == "__main__":
    sys.exit(main())
