"""Digest worker processes: SHA-256 of many small files on every core, for ``digests.digest_files``.

hashlib releases the GIL only for updates of 2 kB or more, so threads hashing files of 1 kB
spend their time waiting for each other around open/read/close. A worker is a separate Python,
``python -I -S digest_workers.py``, with a GIL of its own: it imports only hashlib and os
(some 20 ms to start) and hashes the files named on its stdin.

It is started with ``subprocess`` (never a bare fork of a possibly multithreaded GUI host) and
only from an executable that is a Python interpreter: inside Blender or QGIS ``sys.executable``
may be the application itself, and then ``python_executable`` finds none and the caller keeps
to threads.

Protocol, binary, over the worker's stdin and stdout:

- worker, once at start: ``HELLO``;
- parent, per batch: ``b"<n>\\n"`` then n bytes: the files' sizes (from the plan's stat) in
  decimal joined by spaces, ``b"\\n"``, their paths (``os.fsencode``) joined by NUL;
- worker, per batch, one line: the hex digests in order joined by spaces; when a file cannot be
  read, the digests before it, then ``!<errno> <winerror> <strerror>`` (the rest of the batch
  is skipped);
- end of stdin: the worker exits.

Both sides split and join these in C (``bytes.split``, ``str.join``): the parent's share per
file must stay far below a worker's, or the parent becomes the bottleneck.
"""

from __future__ import annotations

import sys

if __name__ == "__main__" and not getattr(sys.flags, "safe_path", False):
    del sys.path[0]  # our own folder (Python < 3.11 puts it first) must not shadow the standard library

# Only what the worker needs: every module imported here is paid for at each worker's start.
import hashlib
import operator
import os

HELLO = b"vp-digest-worker 1\n"
CHUNK = 1 << 20
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0)
_readv = getattr(os, "readv", None)  # POSIX: read into our buffer with no file object at all
_PATH = operator.itemgetter(0)
_SIZE = operator.itemgetter(1)
#: How long a starting worker may take to say hello (a cold disk, a virus scanner) before it is dropped.
START_TIMEOUT = 10.0


def read_digest(path: str | bytes, buffer: bytearray | None = None, size: int = -1, step=None) -> str | None:
    """SHA-256 of one file, hex; ``size`` (its stat size) lets a small file be read in one call.

    ``step``, if given, is called with the byte count of each chunk of a bigger file; when it
    returns True the read is abandoned and None returned (a cancel inside a 10 GB file).
    """
    fd = os.open(path, _OPEN_FLAGS)
    try:
        if 0 <= size < CHUNK:
            # One read of size+1 bytes: getting exactly ``size`` back means end of file, so the
            # usual small file costs open, read, close, with no second read to find the end.
            data = os.read(fd, size + 1)
            if len(data) == size:
                return hashlib.sha256(data).hexdigest()
            h = hashlib.sha256(data)
            if not data:
                return h.hexdigest()
        else:
            h = hashlib.sha256()
        # Bigger (or changed) files: readinto a reused buffer, no fresh megabyte per read.
        buf = buffer if buffer is not None else bytearray(CHUNK)
        view = memoryview(buf)
        fh = None if _readv is not None else open(fd, "rb", buffering=0, closefd=False)
        try:
            while n := (_readv(fd, (buf,)) if fh is None else fh.readinto(buf)):
                h.update(view[:n])
                if step is not None and step(n):
                    return None
        finally:
            if fh is not None:
                fh.close()
        return h.hexdigest()
    finally:
        os.close(fd)


def serve(stdin, stdout) -> None:
    """The worker's loop: answer batches from ``stdin`` on ``stdout`` until end of input."""
    stdout.write(HELLO)
    stdout.flush()
    buffer = bytearray(CHUNK)
    while header := stdin.readline():
        sizes, _, paths = stdin.read(int(header)).partition(b"\n")
        out = []
        for path, size in zip(paths.split(b"\0"), map(int, sizes.split())):
            try:
                out.append(read_digest(path, buffer, size))
            except OSError as exc:
                reason = str(exc.strerror or exc).replace("\n", " ")
                out.append(f"!{exc.errno or 0} {getattr(exc, 'winerror', None) or 0} {reason}")
                break
        stdout.write(" ".join(out).encode("utf-8", "replace") + b"\n")
        stdout.flush()


def python_executable() -> str | None:
    """A Python interpreter to run workers with, or None when this process was not started from one."""
    for candidate in (sys.executable, getattr(sys, "_base_executable", None)):
        if candidate and _is_python_name(os.path.basename(candidate)) and os.path.isfile(candidate):
            return candidate
    return None


def _is_python_name(name: str) -> bool:
    """python, python3, python3.11, python.exe, ...: not blender, qgis-bin.exe or a frozen application."""
    stem = name.lower().removesuffix(".exe")
    return stem.startswith("python") and all(c.isdigit() or c == "." for c in stem[6:])


class WorkerLost(Exception):
    """The worker process did not answer (it could not start, crashed or was killed)."""


class Worker:
    """One worker process; ``digest`` sends it a batch and waits for the digests."""

    def __init__(self, executable: str) -> None:
        import subprocess  # here, not at the top: the worker process itself never needs them
        import threading

        script = os.path.abspath(__file__)
        if not os.path.isfile(script):  # imported from a zip: there is no script to run
            raise WorkerLost(f"no worker script at {script}")
        try:
            self._proc = subprocess.Popen(
                [executable, "-I", "-S", script],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                # No console window flashing up beside a GUI host on Windows. On POSIX a session
                # of its own: Ctrl-C in a terminal is for the parent, which then ends the worker,
                # and a kill reaches anything the executable started in turn.
                creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0),
                start_new_session=os.name == "posix",
            )
        except (OSError, ValueError) as exc:
            raise WorkerLost(str(exc)) from exc
        # Something that is not our worker may never answer: kill it after a while, which ends the read.
        watchdog = threading.Timer(START_TIMEOUT, self._kill)
        watchdog.daemon = True
        watchdog.start()
        try:
            hello = self._proc.stdout.readline(len(HELLO))
        except BaseException:  # Ctrl-C while it starts
            self.close()
            raise
        finally:
            watchdog.cancel()
        if hello != HELLO:
            self.close()
            raise WorkerLost(f"{executable} did not start a digest worker")

    def digest(self, batch: list[tuple]) -> list[str]:
        """Hex digests of a batch of (path, size, ...) keys; an unreadable file raises OSError as reading it would."""
        payload = os.fsencode(" ".join(map(str, map(_SIZE, batch))) + "\n" + "\0".join(map(_PATH, batch)))
        try:
            self._proc.stdin.write(b"%d\n" % len(payload) + payload)
            self._proc.stdin.flush()
            reply = self._proc.stdout.readline()
        except (OSError, ValueError) as exc:  # a broken pipe: the worker is gone
            raise WorkerLost(str(exc)) from exc
        if not reply.endswith(b"\n"):
            raise WorkerLost("the digest worker stopped")
        good, bang, error = reply[:-1].decode("utf-8", "replace").partition("!")
        digests = good.split()
        if bang:
            try:
                number, winerror, reason = error.split(" ", 2)
                path = batch[len(digests)][0]
                extra = (int(winerror),) if int(winerror) else ()
                # The same exception class, errno and file name as reading the file here would raise.
                exc = OSError(int(number) or None, reason, path, *extra)
            except (ValueError, IndexError) as bad:
                raise WorkerLost("the digest worker answered out of turn") from bad
            raise exc
        if len(digests) != len(batch):
            raise WorkerLost("the digest worker answered out of turn")
        return digests

    def close(self) -> None:
        """End the worker: end of input lets it exit; one that does not is killed."""
        proc = self._proc
        for pipe in (proc.stdin, proc.stdout):
            try:
                pipe.close()
            except OSError:
                pass
        try:
            proc.wait(timeout=1)  # a worker exits at once, or after the batch it is on (milliseconds)
        except Exception:  # subprocess.TimeoutExpired
            self._kill()
            proc.wait()

    def _kill(self) -> None:
        proc = self._proc
        if proc.poll() is not None:
            return
        if os.name == "posix":
            import signal

            try:
                os.killpg(proc.pid, signal.SIGKILL)  # its own session (see __init__): it and its children
            except ProcessLookupError:  # it ended meanwhile
                pass
        else:
            proc.kill()


if __name__ == "__main__":
    try:
        serve(sys.stdin.buffer, sys.stdout.buffer)
    except BrokenPipeError:  # the parent went away
        pass
