"""Placeholder: being implemented."""

def otsu_threshold(*args, **kwargs):
    raise NotImplementedError


