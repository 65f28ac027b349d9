"""The control: nothing is broken. The right diagnosis is that the alert was noise."""

from .base import FaultKind, register


def apply(ctx):
    return None


register(
    FaultKind(
        name="no_fault",
        description="Nothing is wrong; the alert that paged was noise (flapping or mis-tuned).",
        taxonomy="no-fault control",
        apply=apply,
    )
)
