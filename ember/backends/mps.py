"""ember.backends.mps: Apple's Metal backend (torch.backends.mps). Ember has no Metal backend."""


def is_available() -> bool:
    """False: Ember cannot run on MPS devices (torch.backends.mps.is_available)."""
    return False


def is_built() -> bool:
    """False: Ember is not built with MPS support (torch.backends.mps.is_built)."""
    return False
