"""Placeholder: being implemented."""

class EffectSizeResult:
    pass


def cohens_d(*args, **kwargs):
    raise NotImplementedError


def cohens_dz(*args, **kwargs):
    raise NotImplementedError


def hedges_g(*args, **kwargs):
    raise NotImplementedError


