"""freezekit: check, fix and freeze Python apps that start processes."""

from freezekit.analysis import Finding, SourceError, analyse_source, check

__version__ = "0.1.0"

__all__ = ["Finding", "SourceError", "__version__", "analyse_source", "check", "fix"]


def __getattr__(name: str) -> object:
    # `fix` lives in rewrite.py, imported on first use so that `check` stays light.
    if name == "fix":
        from freezekit.rewrite import fix

        return fix
    raise AttributeError(f"module 'freezekit' has no attribute {name!r}")
