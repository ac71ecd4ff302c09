"""What a hostile header must end in: a HeaderError, within a few seconds, never a hang."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from mmfviewer.c_header import HeaderError, read_header


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Fail, rather than hang, when the block takes longer than ``seconds``."""
    def expired(signum: int, frame: object) -> None:
        raise TimeoutError(f"took more than {seconds} s")
    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


#: What "never a hang" means here: the inputs these guard against took minutes. Not a
#: speed target (a loaded CI machine is slow): generous on purpose.
HANG_SECONDS = 30.0


def refused(text: str, seconds: float = HANG_SECONDS) -> str:
    """The HeaderError message reading ``text`` ends in, within ``seconds``."""
    with deadline(seconds), pytest.raises(HeaderError) as refusal:
        read_header(text, "hostile.h")
    assert isinstance(refusal.value, ValueError)
    return str(refusal.value)
