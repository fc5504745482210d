"""Per-workstation preferences in QSettings: window layout, idle lock, theme, each user's language.

Only presentation state lives here; everything the core decides (users, roles, audit) stays in
the vault. Keys are namespaced; a user's language is keyed by the user name.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings

DEFAULT_IDLE_MINUTES = 10
LANGUAGES = ("en", "ar")


def settings() -> QSettings:
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "Custos", "custos")


def idle_minutes() -> int:
    value = settings().value("security/idle_minutes", DEFAULT_IDLE_MINUTES)
    try:
        return max(1, int(str(value)))
    except (TypeError, ValueError):
        return DEFAULT_IDLE_MINUTES


def set_idle_minutes(minutes: int) -> None:
    settings().setValue("security/idle_minutes", max(1, int(minutes)))


def _user_key(user: str) -> str:
    # QSettings treats '/' and '\\' as group separators; keep user names as one key.
    return "language/" + user.replace("/", "%2F").replace("\\", "%5C")


def language_for(user: str | None) -> str:
    s = settings()
    lang = s.value(_user_key(user)) if user else None
    lang = lang or s.value("language/last", "en")
    return str(lang) if str(lang) in LANGUAGES else "en"


def set_language(user: str, lang: str) -> None:
    s = settings()
    s.setValue(_user_key(user), lang)
    s.setValue("language/last", lang)


def theme() -> str:
    """The user's theme: "system" (the default: the desktop's colour scheme), "light", "dark"."""
    value = str(settings().value("view/theme", "system") or "system")
    return value if value in ("system", "light", "dark") else "system"


def set_theme(choice: str) -> None:
    settings().setValue("view/theme", choice)


def last_user() -> str:
    return str(settings().value("login/last_user", "") or "")


def set_last_user(user: str) -> None:
    settings().setValue("login/last_user", user)
