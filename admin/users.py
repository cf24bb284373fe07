"""Admin users: scrypt-hashed passwords and a role (admin, editor, viewer)."""

from __future__ import annotations

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from core.context import Context
from core.errors import ConfigurationError
from core.ids import new_id
from core.models import User

ROLES = ("admin", "editor", "viewer")
MIN_PASSWORD = 12


def create(ctx: Context, email: str, password: str, role: str = "admin") -> User:
    if role not in ROLES:
        raise ConfigurationError(f"Role {role!r} is unknown; choose one of {', '.join(ROLES)}.")
    if len(password) < MIN_PASSWORD:
        raise ConfigurationError(f"Passwords need at least {MIN_PASSWORD} characters.")
    email = email.strip().lower()
    with ctx.db.transaction() as session:
        if session.scalar(select(User.id).where(User.email == email)):
            raise ConfigurationError(f"A user {email} exists already.")
        user = User(
            id=new_id("usr"), email=email, role=role, password_hash=generate_password_hash(password, method="scrypt")
        )
        session.add(user)
    return user


def verify_password(user: User, password: str) -> bool:
    return check_password_hash(user.password_hash, password)
