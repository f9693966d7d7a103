"""Placeholder: being implemented."""

class AUCResult:
    pass


def auc(*args, **kwargs):
    raise NotImplementedError


