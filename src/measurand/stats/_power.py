"""Placeholder: being implemented."""

class PowerResult:
    pass


def power_proportions(*args, **kwargs):
    raise NotImplementedError


def power_t_test(*args, **kwargs):
    raise NotImplementedError


