"""Placeholder: being implemented."""

def adjust_pvalues(*args, **kwargs):
    raise NotImplementedError


def benjamini_hochberg(*args, **kwargs):
    raise NotImplementedError


def holm(*args, **kwargs):
    raise NotImplementedError


