"""Placeholder: being implemented."""

class FisherResult:
    pass


class McNemarResult:
    pass


class ProportionDifferenceResult:
    pass


class ProportionResult:
    pass


def clopper_pearson(*args, **kwargs):
    raise NotImplementedError


def fisher_exact(*args, **kwargs):
    raise NotImplementedError


def mcnemar_exact(*args, **kwargs):
    raise NotImplementedError


def newcombe_difference(*args, **kwargs):
    raise NotImplementedError


def wilson(*args, **kwargs):
    raise NotImplementedError


def zero_event_upper_bound(*args, **kwargs):
    raise NotImplementedError


