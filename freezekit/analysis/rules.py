"""The rule table: each check's stable code, name, severity and one-line summary.

The codes (FK001...) are part of freezekit's interface: findings, `# noqa: FK001`, the
configuration's `select`/`ignore`, the rule pages in docs/rules/ and `freezekit rule` use them.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ERROR", "PROJECT_URL", "RULES", "RULES_URL", "WARNING", "Rule"]

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Rule:
    """A check's stable code, severity and the one-line summary `freezekit` documents."""

    code: str
    name: str
    severity: str
    summary: str

    @property
    def url(self) -> str:
        """Where the rule's page (docs/rules/CODE.md, `freezekit rule CODE`) is published."""
        return RULES_URL.format(code=self.code)


#: The project's home, and its published rule pages; the same pages ship with the package
#: (`freezekit rule FK001`).
PROJECT_URL = "https://github.com/processing-freezekit/processing-freezekit"
RULES_URL = PROJECT_URL + "/blob/main/docs/rules/{code}.md"

RULES: dict[str, Rule] = {
    rule.code: rule
    for rule in (
        Rule("FK001", "process-outside-main-guard", ERROR,
             "A process, pool, manager or executor is created outside the main guard."),
        Rule("FK002", "misplaced-freeze-support", ERROR,
             "freeze_support() is called anywhere but as the first statement of the main guard."),
        Rule("FK003", "missing-freeze-support", WARNING,
             "The main guard starts processes without calling freeze_support() first."),
        Rule("FK004", "unpicklable-target", ERROR,
             "A lambda, nested function or local class method is sent to another process."),
        Rule("FK005", "import-time-side-effect", WARNING,
             "The main module does something at import time that every child would repeat."),
        Rule("FK006", "start-method-outside-main-guard", ERROR,
             "set_start_method() is called outside the main guard."),
        Rule("FK007", "global-defined-only-in-main-guard", ERROR,
             "A function that runs in a child reads a global that only the main guard defines."),
    )
}
